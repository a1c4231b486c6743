using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>A char and a 300-id bpe dataset prepared from the same small corpus, for <c>tokenize</c> to load.</summary>
public sealed class TokenizerDatasets : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public string Char => _temp.Sub("char");
    public string Bpe => _temp.Sub("bpe");

    public async Task InitializeAsync()
    {
        var corpus = SmallCorpus.Write(_temp.Sub("corpus.txt"));
        await Task.WhenAll(
            SmallCorpus.PrepareAsync(corpus, Char, "--tokenizer", "char"),
            SmallCorpus.PrepareAsync(corpus, Bpe, "--tokenizer", "bpe", "--vocab-size", "300"));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
