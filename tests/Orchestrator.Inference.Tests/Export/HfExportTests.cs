using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Inference.Export;
using Orchestrator.Training.Pretrained;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using Orchestrator.Inference;

namespace Orchestrator.Inference.Tests.Export;

/// <summary>
/// <c>export --format hf</c>: the directory loads back through <c>--init-from</c> with the same logits, PyTorch's GPT-2
/// forward reads it and agrees, adapters fold in with <c>--merge</c>, and GPT-2's vocabulary comes out as files that
/// GPT-2's BPE algorithm encodes with exactly as our tokenizer does.
/// </summary>
public sealed class HfExportTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Export_then_init_from_gives_the_same_logits_and_PyTorch_reads_the_export()
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), positions: 16);
        using var data = TinyDatasets.Create(_temp.Sub("data"), TinyDatasets.WordText(3000, 1), TinyDatasets.WordText(800, 2), tokenizerKind: "gpt2");
        var config = TestConfigs.FineTune(hf, data.Meta.VocabSize);
        config = config with { Training = config.Training with { MaxSteps = 3, EvalInterval = 0, LearningRate = 1e-2, WarmupSteps = 0 } };
        using (var trainer = new Trainer(config, data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);

        using var trained = TrainedModel.Load(_temp.Sub("run"));
        var files = ModelExport.Write(trained, "hf", _temp.Sub("export"), merge: false, new ListLogger());
        Assert.Contains("vocab.json", files);
        Assert.Contains("merges.txt", files);

        var windows = Gpt2Windows.Random(batch: 2, time: 16, seed: 9);
        using var exported = TrainedModel.Load(_temp.Sub("export"));
        using var scope = NewDisposeScope();
        var (original, _) = Gpt2Windows.Forward(trained, windows);
        var (reloaded, _) = Gpt2Windows.Forward(exported, windows);
        Assert.Equal(0.0, (original - reloaded).abs().max().item<float>());

        var (python, _) = PythonGpt2.Forward(_temp.Sub("export"), windows, _temp.Sub("work"));
        var ours = original.data<float>().ToArray();
        var difference = python.Zip(ours, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(difference < 1e-4, $"PyTorch's GPT-2 on the export differs by {difference}");
        // Not the base any more: the three steps moved the weights.
        var (baseLogits, _) = PythonGpt2.Forward(hf, windows, _temp.Sub("work-base"));
        Assert.True(baseLogits.Zip(ours, (a, b) => Math.Abs((double)a - b)).Max() > 1e-3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Merged_adapters_give_the_adapted_models_logits(int embeddingRank)
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), positions: 16);
        var pretrained = PretrainedModel.Open(hf);
        var lora = new LoraConfig { Rank = 2, Targets = ["c_attn", "c_proj", "c_fc", "mlp.c_proj"], EmbeddingRank = embeddingRank };
        using var adapted = ModelFactory.Create(pretrained.Config with { Lora = lora });
        pretrained.LoadInto(adapted);
        using (no_grad())
            foreach (var (name, parameter) in adapted.named_parameters())
                if (name.EndsWith(".lora_B") || name == "wte.lora_A") parameter.normal_(0, 0.1);
        adapted.eval();
        using var merged = ModelFactory.Create(pretrained.Config);
        using (no_grad())
        {
            var weights = LoraWeights.Merged(adapted);
            foreach (var (name, target) in merged.state_dict()) target.copy_(weights[name]);
        }
        merged.eval();
        using var scope = NewDisposeScope();
        var input = Gpt2Windows.Inputs(Gpt2Windows.Random(2, 12, 4));
        var a = adapted.call(input);
        var m = merged.call(input);
        using var plain = ModelFactory.Create(pretrained.Config);
        pretrained.LoadInto(plain);
        plain.eval();
        Assert.True((a - m).abs().max().item<float>() < 1e-5);
        Assert.True((a - plain.call(input)).abs().max().item<float>() > 1e-3, "the adapters should change the logits");
    }

    [Fact]
    public void Gpt2_vocabulary_files_encode_as_our_tokenizer_does()
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), positions: 16);
        using var trained = TrainedModel.Load(hf);
        ModelExport.Write(trained, "hf", _temp.Sub("export"), merge: false, new ListLogger());
        const string text = "The jury said it's 1962, and they'll   re-open\nthe Fulton County case: \"no evidence\" of irregularities!!";
        var expected = TokenizerFactory.Create(new TokenizerOptions { Kind = "gpt2" }, []).Encode(Encoding.UTF8.GetBytes(text));
        Assert.Equal(expected, PythonGpt2.Encode(_temp.Sub("export"), text, _temp.Sub("work")));
    }

    [Fact]
    public async Task Our_bpe_vocabulary_exports_as_a_tokenizer_json_that_encodes_as_ours()
    {
        var train = TinyDatasets.WordText(6000, 1) + " 1962, it's they'll (QUICK) foxes!";
        using var data = TinyDatasets.Create(_temp.Sub("data"), train, TinyDatasets.WordText(1500, 2), tokenizerKind: "bpe");
        var tiny = TestConfigs.Tiny(data.Meta.VocabSize);
        var config = tiny with { Training = tiny.Training with { MaxSteps = 1, WarmupSteps = 0, EvalInterval = 0 } };
        using (var trainer = new Trainer(config, data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);
        using var trained = TrainedModel.Load(_temp.Sub("run"));
        var files = ModelExport.Write(trained, "hf", _temp.Sub("export"), merge: false, new ListLogger());
        Assert.Contains("tokenizer.json", files);
        const string text = "the king shall speak of love and war, 1962: it's they'll (QUICK) foxes!\n\ngood   night";
        var expected = trained.Tokenizer.Encode(Encoding.UTF8.GetBytes(text));
        Assert.Equal(expected, PythonGpt2.Encode(_temp.Sub("export"), text, _temp.Sub("work")));
        Assert.True(expected.Length < text.Length / 2, "the bpe vocabulary should merge the common words");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_merged_safetensors_export_of_a_lora_run_is_a_plain_models_state_dict_with_the_runs_logits(int embeddingRank)
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), positions: 16);
        using var data = TinyDatasets.Create(_temp.Sub("data"), TinyDatasets.WordText(3000, 1), TinyDatasets.WordText(800, 2), tokenizerKind: "gpt2");
        var config = TestConfigs.FineTune(hf, data.Meta.VocabSize, new LoraConfig { Rank = 2, EmbeddingRank = embeddingRank });
        config = config with { Training = config.Training with { MaxSteps = 3, EvalInterval = 0, LearningRate = 1e-2, WarmupSteps = 0 } };
        using (var trainer = new Trainer(config, data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);

        using var trained = TrainedModel.Load(_temp.Sub("run"));
        ModelExport.Write(trained, "safetensors", _temp.Sub("export"), merge: true, new ListLogger());

        // A plain model's state dict, every key (the tied head's too), loads strictly from the file.
        var file = Safetensors.LoadStateDict(Path.Combine(_temp.Sub("export"), CheckpointFiles.Model));
        using var plain = ModelFactory.Create(trained.Model.Config with { Lora = null });
        Assert.Equal(plain.state_dict().Keys.Order(), file.Keys.Order());
        using (no_grad())
            foreach (var (name, target) in plain.state_dict()) target.copy_(file[name]);
        plain.eval();
        trained.Model.eval();
        using var scope = NewDisposeScope();
        var input = Gpt2Windows.Inputs(Gpt2Windows.Random(batch: 2, time: 16, seed: 5));
        var difference = (trained.Model.call(input) - plain.call(input)).abs().max().item<float>();
        Assert.True(difference < 1e-5, $"the merged export's logits differ from the run's by {difference}");
    }

    [Fact]
    public async Task A_recurrent_model_is_refused_by_the_hf_format_naming_the_one_it_can_take()
    {
        using var data = TinyDatasets.Words(_temp.Sub("data"));
        var tiny = TestConfigs.Tiny(data.Meta.VocabSize);
        var config = tiny with { Model = tiny.Model with { Model = "lstm" }, Training = tiny.Training with { MaxSteps = 1, WarmupSteps = 0, EvalInterval = 0 } };
        using (var trainer = new Trainer(config, data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);
        using var trained = TrainedModel.Load(_temp.Sub("run"));
        var error = Assert.Throws<ExportException>(() => ModelExport.Write(trained, "hf", _temp.Sub("export"), false, new ListLogger()));
        Assert.Contains("--format safetensors", error.Message);
        Assert.False(Directory.Exists(_temp.Sub("export")));
        ModelExport.Write(trained, "safetensors", _temp.Sub("export"), false, new ListLogger());
        Assert.True(File.Exists(Path.Combine(_temp.Sub("export"), "model.safetensors")));
    }

    public void Dispose() => _temp.Dispose();
}
