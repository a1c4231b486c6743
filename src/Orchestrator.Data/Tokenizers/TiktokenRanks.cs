using System.Text;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Reads and writes tiktoken ranks files: one token per line, <c>base64(token bytes) rank</c>, ranks being the token
/// ids. This is the format Microsoft.ML.Tokenizers' <c>TiktokenTokenizer.Create</c> loads. The reader also accepts the
/// GPT-2 data package's variant (a <c>Capacity: N</c> header and lines without a rank, ranked by position), because
/// byte-exact decoding needs each id's bytes and the library keeps that table internal.
/// </summary>
internal static class TiktokenRanks
{
    public static byte[] Write(IReadOnlyList<byte[]> tokens)
    {
        var text = new StringBuilder(tokens.Count * 16);
        for (int rank = 0; rank < tokens.Count; rank++)
        {
            text.Append(Convert.ToBase64String(tokens[rank])).Append(' ').Append(rank).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Parses ranks into an id → bytes table; every rank 0..n-1 must appear exactly once. <paramref name="source"/> names the file in errors.</summary>
    public static byte[][] Read(ReadOnlySpan<byte> content, string source)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException e)
        {
            throw Corrupt(source, "it is not UTF-8 text", e);
        }

        var tokens = new List<byte[]?>();
        int lineNumber = 0, implicitRank = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("Capacity:", StringComparison.Ordinal)))
            {
                continue;
            }

            var fields = line.Split(' ');
            if (fields.Length > 2)
            {
                throw Corrupt(source, $"line {lineNumber} has {fields.Length} fields where 'base64 rank' was expected");
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(fields[0]);
            }
            catch (FormatException e)
            {
                throw Corrupt(source, $"line {lineNumber} does not start with base64 token bytes ('{Shorten(fields[0])}')", e);
            }

            int rank = implicitRank;
            if (fields.Length == 2 && (!int.TryParse(fields[1], out rank) || rank < 0))
            {
                throw Corrupt(source, $"line {lineNumber} has rank '{Shorten(fields[1])}', which is not a non-negative integer");
            }

            implicitRank++;
            if (bytes.Length == 0)
            {
                throw Corrupt(source, $"line {lineNumber} holds an empty token");
            }

            while (tokens.Count <= rank)
            {
                tokens.Add(null);
            }

            if (tokens[rank] is not null)
            {
                throw Corrupt(source, $"rank {rank} appears twice (again on line {lineNumber})");
            }

            tokens[rank] = bytes;
        }

        int missing = tokens.FindIndex(t => t is null);
        if (missing >= 0)
        {
            throw Corrupt(source, $"rank {missing} is missing (ranks must run 0..{tokens.Count - 1} without gaps)");
        }

        if (tokens.Count == 0)
        {
            throw Corrupt(source, "it holds no tokens");
        }

        return tokens.ToArray()!;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    private static TokenizerFileException Corrupt(string source, string problem, Exception? inner = null) =>
        new(source, $"Tokenizer ranks file '{source}' is corrupt: {problem}. Re-create it by preparing the dataset again (or copy tokenizer.json and its ranks file together from the original).", inner);
}
