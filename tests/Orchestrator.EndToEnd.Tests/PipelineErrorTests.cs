using System.Text.RegularExpressions;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// Every bad input of the pipeline ends in one line naming the problem and a non-zero exit, before anything is
/// written: scripts can rely on the exit code and users on the message.
/// </summary>
public sealed class PipelineErrorTests(PreparedPipeline pipeline) : IClassFixture<PreparedPipeline>, IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Prepare_with_a_missing_corpus_path_names_the_path_and_writes_nothing()
    {
        var output = _temp.Sub("out");
        var result = await OrchestratorCli.RunAsync("prepare", "--input", _temp.Sub("no-such-corpus.txt"), "--out", output);
        OneLineError.Assert(result, "no-such-corpus.txt", "does not exist");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Prepare_with_an_empty_corpus_file_names_the_file_and_writes_nothing()
    {
        var empty = _temp.Sub("empty.txt");
        await File.WriteAllBytesAsync(empty, []);
        var output = _temp.Sub("out");
        var result = await OrchestratorCli.RunAsync("prepare", "--input", empty, "--out", output);
        OneLineError.Assert(result, "empty.txt", "no text");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Prepare_with_an_unknown_tokenizer_names_it_and_the_known_ones()
    {
        var output = _temp.Sub("out");
        var result = await OrchestratorCli.RunAsync("prepare", "--input", pipeline.Corpus, "--tokenizer", "wordpiece", "--out", output);
        OneLineError.Assert(result, "'wordpiece'", "char", "bpe", "gpt2");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Prepare_into_an_existing_dataset_without_force_leaves_every_file_untouched()
    {
        var existing = DirectorySnapshot.Copy(pipeline.Data, _temp.Sub("existing"));
        var before = DirectorySnapshot.Take(existing);
        // Another corpus, so a replaced dataset could not look the same by accident.
        var other = _temp.Sub("other.txt");
        await File.WriteAllTextAsync(other, "A different corpus entirely.\nWith two lines of text in it.\n");

        var result = await OrchestratorCli.RunAsync("prepare", "--input", other, "--out", existing);
        OneLineError.Assert(result, existing, "--force");
        Assert.Equal(before, DirectorySnapshot.Take(existing));
        // No staging directory left beside it either.
        Assert.Equal(["existing", "other.txt"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Train_with_an_unknown_model_type_names_it_and_creates_no_run()
    {
        var run = _temp.Sub("run");
        var result = await OrchestratorCli.RunAsync(TinyGpt.Train(pipeline.Data, run, "--model", "transformer", "--max-steps", "1", "--warmup-steps", "0"));
        OneLineError.Assert(result, "'transformer'", "gpt, lstm, gru, rnn");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Train_with_a_config_whose_n_embd_is_not_divisible_by_n_head_names_both()
    {
        var config = _temp.Sub("config.json");
        await File.WriteAllTextAsync(config, """{ "model": { "n_embd": 30, "n_head": 4 }, "training": { "max_steps": 1, "warmup_steps": 0 } }""");
        var run = _temp.Sub("run");
        var result = await OrchestratorCli.RunAsync("train", "--data", pipeline.Data, "--out", run, "--config", config);
        OneLineError.Assert(result, "n_embd (30)", "n_head (4)");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Train_on_a_train_bin_one_byte_short_names_the_shard_and_creates_no_run()
    {
        var data = DirectorySnapshot.Copy(pipeline.Data, _temp.Sub("data"));
        var shard = Path.Combine(data, "train.bin");
        await using (var stream = new FileStream(shard, FileMode.Open)) stream.SetLength(stream.Length - 1);
        var run = _temp.Sub("run");
        var result = await OrchestratorCli.RunAsync(TinyGpt.Train(data, run, "--max-steps", "1", "--warmup-steps", "0"));
        OneLineError.Assert(result, shard, "truncated");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Generate_with_a_prompt_character_outside_the_char_vocabulary_names_the_character()
    {
        var result = await OrchestratorCli.RunAsync("generate", TinyGpt.Latest(pipeline.Run), "--prompt", "ROMEO: \U0001F600", "--max-tokens", "5", "--threads", "1");
        OneLineError.Assert(result, "\U0001F600", "U+1F600");
    }

    [Fact]
    public async Task Eval_of_a_checkpoint_missing_its_weights_names_the_missing_file()
    {
        var run = DirectorySnapshot.Copy(pipeline.Run, _temp.Sub("run"));
        File.Delete(Path.Combine(TinyGpt.LatestDirectory(run), "model.safetensors"));
        var result = await OrchestratorCli.RunAsync("eval", TinyGpt.Latest(run), "--data", pipeline.Data, "--split", "test", "--threads", "1");
        OneLineError.Assert(result, "'model.safetensors'", "missing");
    }

    [Fact]
    public async Task Eval_of_a_checkpoint_with_one_flipped_weight_byte_names_the_altered_file()
    {
        var run = DirectorySnapshot.Copy(pipeline.Run, _temp.Sub("run"));
        var weights = Path.Combine(TinyGpt.LatestDirectory(run), "model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^3] ^= 0x01; // a low mantissa bit of the last weight: same size, still parses, silently different model
        await File.WriteAllBytesAsync(weights, bytes);
        var result = await OrchestratorCli.RunAsync("eval", TinyGpt.Latest(run), "--data", pipeline.Data, "--split", "test", "--threads", "1");
        OneLineError.Assert(result, "'model.safetensors'", "SHA-256");
    }

    [Theory]
    [InlineData("prepare into an existing dataset")]
    [InlineData("train on a missing dataset")]
    [InlineData("train on a directory that is not a dataset")]
    public async Task Error_messages_suggest_only_flags_of_prepare_that_exist(string failure)
    {
        var notADataset = Directory.CreateDirectory(_temp.Sub("not-a-dataset")).FullName;
        string[] arguments = failure switch
        {
            "prepare into an existing dataset" => ["prepare", "--input", pipeline.Corpus, "--out", DirectorySnapshot.Copy(pipeline.Data, _temp.Sub("data"))],
            "train on a missing dataset" => ["train", "--data", _temp.Sub("no-such-data"), "--out", _temp.Sub("run"), "--max-steps", "1"],
            _ => ["train", "--data", notADataset, "--out", _temp.Sub("run"), "--max-steps", "1"],
        };
        var line = OneLineError.Assert(await OrchestratorCli.RunAsync(arguments));
        var help = (await OrchestratorCli.SucceedAsync("prepare", "--help")).Stdout;
        var accepted = Regex.Matches(help, @"--[a-z][a-z-]*").Select(m => m.Value).ToHashSet();
        var suggested = Regex.Matches(line, @"(?<![\w/])--[a-z][a-z-]*").Select(m => m.Value).ToArray();
        Assert.NotEmpty(suggested);
        Assert.All(suggested, flag => Assert.True(accepted.Contains(flag),
            $"the error suggests {flag}, which `orchestrator prepare` does not accept: {line}"));
    }

    public void Dispose() => _temp.Dispose();
}
