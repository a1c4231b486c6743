namespace Orchestrator.Data.Splitting;

/// <summary>
/// Cuts one document into contiguous train, val and test spans, the way nanoGPT cuts tinyshakespeare
/// (first 90% train, the rest validation): train is the first <c>floor(n × train)</c> characters, val the next
/// <c>floor(n × val)</c>, test the remainder. Cuts never fall inside a surrogate pair, so every span is valid text.
/// </summary>
public static class SpanSplitter
{
    public static (string Train, string Val, string Test) Cut(string text, SplitFractions fractions)
    {
        var n = text.Length;
        var trainEnd = AtCharacterBoundary(text, (int)Math.Floor(n * fractions.Train));
        var valEnd = AtCharacterBoundary(text, Math.Min(n, trainEnd + (int)Math.Floor(n * fractions.Val)));
        return (text[..trainEnd], text[trainEnd..valEnd], text[valEnd..]);
    }

    private static int AtCharacterBoundary(string text, int index) =>
        index > 0 && index < text.Length && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1])
            ? index + 1
            : index;
}
