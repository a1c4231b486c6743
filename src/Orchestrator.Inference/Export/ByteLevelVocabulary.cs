using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Inference.Export;

/// <summary>
/// A byte-level BPE vocabulary (ours or GPT-2's) in the form Hugging Face tokenizers use: every token as a string of
/// GPT-2's byte-to-unicode characters, and the merges in priority order. Our tokenizers rank tokens as tiktoken does
/// (a pair merges in the order of the rank of the token it makes), so each token's merge is recovered by running BPE on
/// its bytes with only lower ranks until two parts remain; merges ordered by rank then encode exactly as the ranks do.
/// </summary>
public sealed class ByteLevelVocabulary
{
    private ByteLevelVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyDictionary<int, string> special) =>
        (Tokens, Merges, SpecialTokens) = (tokens, merges, special);

    /// <summary>Token strings by id (special tokens as their text).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Merges in priority order (the rank of the token each makes).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Special token ids and texts (e.g. <c>&lt;|endoftext|&gt;</c>).</summary>
    public IReadOnlyDictionary<int, string> SpecialTokens { get; }

    /// <summary>
    /// Recovers the vocabulary of a byte-level <paramref name="tokenizer"/> whose special tokens are <paramref name="specialIds"/>.
    /// Throws <see cref="InvalidOperationException"/> when some token cannot be made by one merge of lower-ranked tokens
    /// (then no merges list reproduces the ranks).
    /// </summary>
    public static ByteLevelVocabulary From(ITextTokenizer tokenizer, IReadOnlyCollection<int> specialIds)
    {
        var bytes = new byte[tokenizer.VocabSize][];
        for (var id = 0; id < bytes.Length; id++) bytes[id] = tokenizer.Decode([id]);
        var rankOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < bytes.Length; id++)
            if (!specialIds.Contains(id)) rankOf.TryAdd(Key(bytes[id]), id);

        var tokens = new string[bytes.Length];
        var special = new Dictionary<int, string>();
        var merges = new List<(int Rank, string Left, string Right)>();
        for (var id = 0; id < bytes.Length; id++)
        {
            if (specialIds.Contains(id))
            {
                tokens[id] = special[id] = Encoding.UTF8.GetString(bytes[id]);
                continue;
            }
            tokens[id] = ToUnicode(bytes[id]);
            if (bytes[id].Length < 2) continue;
            var parts = MergeBelow(bytes[id], id, rankOf);
            if (parts.Count != 2)
                throw new InvalidOperationException($"token {id} ('{tokens[id]}') is not one merge of lower-ranked tokens, so no merges list reproduces this vocabulary");
            merges.Add((id, ToUnicode(parts[0]), ToUnicode(parts[1])));
        }
        return new ByteLevelVocabulary(tokens, merges.OrderBy(m => m.Rank).Select(m => (m.Left, m.Right)).ToArray(), special);
    }

    /// <summary>BPE on <paramref name="token"/>'s bytes using only tokens ranked below <paramref name="rank"/>.</summary>
    private static List<byte[]> MergeBelow(byte[] token, int rank, Dictionary<string, int> rankOf)
    {
        var parts = token.Select(b => new[] { b }).ToList();
        while (parts.Count > 2)
        {
            var (best, bestRank) = (-1, int.MaxValue);
            for (var i = 0; i + 1 < parts.Count; i++)
            {
                if (rankOf.TryGetValue(Key([.. parts[i], .. parts[i + 1]]), out var r) && r < rank && r < bestRank)
                    (best, bestRank) = (i, r);
            }
            if (best < 0) break;
            parts[best] = [.. parts[best], .. parts[best + 1]];
            parts.RemoveAt(best + 1);
        }
        return parts;
    }

    private static string Key(byte[] bytes) => Convert.ToBase64String(bytes);

    /// <summary>GPT-2's reversible byte → character table: printable Latin-1 bytes stand for themselves, the rest move to U+0100 and up.</summary>
    private static readonly char[] ByteToChar = BuildByteToChar();

    public static string ToUnicode(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes) text.Append(ByteToChar[b]);
        return text.ToString();
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
