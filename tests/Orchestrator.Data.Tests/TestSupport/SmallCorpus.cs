namespace Orchestrator.Data.Tests.TestSupport;

/// <summary>A folder of short, distinct text files: enough documents for a by-document split, quick to prepare.</summary>
public static class SmallCorpus
{
    public static IReadOnlyList<string> Write(TempDirectory dir, string folder, int files)
    {
        var texts = new List<string>();
        for (var i = 0; i < files; i++)
        {
            var text = $"Document {i}: the quick brown fox jumps over the lazy dog {i * 7919 % 1000}.\n";
            dir.Write($"{folder}/part{i / 10}/doc{i:D3}.txt", text);
            texts.Add(text);
        }
        return texts;
    }
}
