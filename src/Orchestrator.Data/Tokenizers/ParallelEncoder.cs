using System.Text;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Encodes a corpus on several threads with output identical to encoding each document in order. Documents are the units
/// of work; long ones are also cut at points where the tokenizer provably splits the same way (see
/// <see cref="Gpt2PreTokenization.IsSafeCut"/>), so one huge document still uses every thread.
/// </summary>
public static class ParallelEncoder
{
    /// <summary>Characters per work item when a long document is cut.</summary>
    public const int ChunkChars = 1 << 18;

    /// <summary>
    /// Encodes the documents and concatenates them with <see cref="ITextTokenizer.EndOfTextId"/> between consecutive
    /// documents (or the encoding of <c>"\n\n"</c> when the tokenizer has no end-of-text token, e.g. char).
    /// <paramref name="maxDegreeOfParallelism"/> is the thread count (-1: every core); <paramref name="bytesDone"/>
    /// receives the running total of UTF-8 bytes encoded.
    /// </summary>
    public static int[] EncodeDocuments(ITextTokenizer tokenizer, IReadOnlyList<string> documents, int maxDegreeOfParallelism, IProgress<long>? bytesDone = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(documents);
        if (maxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use a positive thread count, or -1 for every core.");
        }

        int[] separator = Separator(tokenizer);
        bool canCut = tokenizer is CharTokenizer or ByteLevelTokenizer { CanChunk: true };
        var items = new List<(int Document, Range Range)>(documents.Count);
        for (int d = 0; d < documents.Count; d++)
        {
            if (canCut && documents[d].Length > ChunkChars)
            {
                items.AddRange(Gpt2PreTokenization.Chunk(documents[d], ChunkChars).Select(r => (d, r)));
            }
            else
            {
                items.Add((d, ..));
            }
        }

        var encoded = new int[items.Count][];
        long done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        Parallel.For(0, items.Count, options, i =>
        {
            var (document, range) = items[i];
            var text = documents[document][range];
            encoded[i] = tokenizer is ByteLevelTokenizer byteLevel ? byteLevel.EncodeText(text) : tokenizer.Encode(Encoding.UTF8.GetBytes(text));
            long total = Interlocked.Add(ref done, Encoding.UTF8.GetByteCount(text));
            bytesDone?.Report(total);
        });

        long length = encoded.Sum(e => (long)e.Length) + (long)separator.Length * Math.Max(0, documents.Count - 1);
        var ids = new int[checked((int)length)];
        int offset = 0;
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0 && items[i].Document != items[i - 1].Document)
            {
                separator.CopyTo(ids, offset);
                offset += separator.Length;
            }

            encoded[i].CopyTo(ids, offset);
            offset += encoded[i].Length;
        }

        return ids;
    }

    private static int[] Separator(ITextTokenizer tokenizer)
    {
        if (tokenizer.EndOfTextId is int endOfText)
        {
            return [endOfText];
        }

        try
        {
            return tokenizer.Encode("\n\n"u8);
        }
        catch (UnencodableTextException e)
        {
            throw new UnencodableTextException(
                $"The {tokenizer.Kind} tokenizer has no end-of-text token and cannot encode the \"\\n\\n\" that separates documents instead ({e.Message}). Train it on text that contains line breaks, or pass --allow-unknown to prepare.");
        }
    }
}
