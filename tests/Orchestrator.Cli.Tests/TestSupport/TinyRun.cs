namespace Orchestrator.Cli.Tests.TestSupport;

/// <summary>
/// A small char dataset (the first 20 kB of tinyshakespeare) and the flags of a GPT small enough to train a few steps
/// in about a second: what the CLI tests train, resume, tokenize and serve.
/// </summary>
public sealed class TinyRun : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public string Corpus => _temp.Sub("corpus.txt");
    public string Data => _temp.Sub("data");

    /// <summary>A one-step run on <see cref="Data"/>, with a checkpoint.</summary>
    public string Run => _temp.Sub("run");

    public static string[] ModelFlags =>
        ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "2", "--threads", "1",
         "--eval-batches", "1", "--log-interval", "1"];

    /// <summary><c>train</c> arguments for the tiny model into <paramref name="run"/>, then <paramref name="extra"/>.</summary>
    public string[] Train(string run, params string[] extra) => ["train", "--data", Data, "--out", run, .. ModelFlags, .. extra];

    public async Task InitializeAsync()
    {
        var text = File.ReadAllBytes(RepositoryPaths.TinyShakespeare).AsSpan(0, 20_000).ToArray();
        File.WriteAllBytes(Corpus, text.AsSpan(0, Array.LastIndexOf(text, (byte)'\n') + 1).ToArray());
        await CliRun.SucceedAsync("prepare", "--input", Corpus, "--out", Data, "--tokenizer", "char");
        await CliRun.SucceedAsync(Train(Run, "--max-steps", "1", "--checkpoint-interval", "1"));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
