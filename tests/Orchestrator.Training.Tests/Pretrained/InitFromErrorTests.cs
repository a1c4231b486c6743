using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Tests.TestSupport;

namespace Orchestrator.Training.Tests.Pretrained;

/// <summary>A base model that does not fit fails with one error naming the key, the shapes or both vocabularies, before the run directory exists.</summary>
public sealed class InitFromErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void A_missing_tensor_is_named_and_the_run_directory_is_untouched()
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), drop: "transformer.h.1.mlp.c_fc.weight");
        var error = Assert.Throws<PretrainedModelException>(() => StartRun(hf));
        Assert.Contains("'h.1.mlp.c_fc.weight'", error.Message);
        Assert.Contains("[16, 64]", error.Message);
        Assert.False(Directory.Exists(_temp.Sub("run")));
    }

    [Fact]
    public void A_wrong_shape_is_named_with_both_shapes_and_the_run_directory_is_untouched()
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"), prefix: false, wrongShape: "h.0.mlp.c_proj.weight");
        var error = Assert.Throws<PretrainedModelException>(() => StartRun(hf));
        Assert.Contains("'h.0.mlp.c_proj.weight' has shape [16, 64]", error.Message);
        Assert.Contains("needs [64, 16]", error.Message);
        Assert.False(Directory.Exists(_temp.Sub("run")));
    }

    [Fact]
    public void Data_not_tokenized_with_gpt2_is_refused_for_a_Hugging_Face_base()
    {
        var hf = PythonGpt2.Make(_temp.Sub("hf"));
        using var data = TinyDatasets.Words(_temp.Sub("chars"));
        var config = TestConfigs.FineTune(hf, data.Meta.VocabSize);
        var error = Assert.Throws<PretrainedModelException>(() => new Trainer(config, data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()));
        Assert.Contains("--tokenizer gpt2", error.Message);
        Assert.False(Directory.Exists(_temp.Sub("run")));
    }

    [Fact]
    public async Task A_checkpoint_base_with_another_vocabulary_is_refused_naming_both()
    {
        using var first = TinyDatasets.Create(_temp.Sub("first"), TinyDatasets.WordText(3000, 1), TinyDatasets.WordText(800, 2));
        var pretrain = TestConfigs.Tiny(first.Meta.VocabSize) with { Training = TestConfigs.Tiny(1).Training with { MaxSteps = 2, WarmupSteps = 0, EvalInterval = 0 } };
        using (var trainer = new Trainer(pretrain, first, _temp.Sub("base"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);
        using var other = TinyDatasets.Create(_temp.Sub("other"), "completely different letters: xyzQ!", "xyzQ!");
        var config = pretrain with { InitFrom = new BaseModelReference { Path = _temp.Sub("base") } };
        var error = Assert.Throws<PretrainedModelException>(() => new Trainer(config, other, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()));
        Assert.Contains(Path.Combine(_temp.Sub("base"), "checkpoints"), error.Message);
        Assert.Contains(Path.Combine(_temp.Sub("other"), "tokenizer.json"), error.Message);
        Assert.False(Directory.Exists(_temp.Sub("run")));
    }

    private void StartRun(string hf)
    {
        using var data = TinyDatasets.Create(_temp.Sub("data"), TinyDatasets.WordText(2000, 1), TinyDatasets.WordText(500, 2), tokenizerKind: "gpt2");
        using var trainer = new Trainer(TestConfigs.FineTune(hf, data.Meta.VocabSize), data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger());
    }

    public void Dispose() => _temp.Dispose();
}
