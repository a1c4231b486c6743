using System.Text;
using System.Text.RegularExpressions;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Data.Tokenizers.Bpe;

namespace Orchestrator.Data.Tests.Tokenizers;

/// <summary>
/// An independent reference encoder for the tests: GPT-2's original algorithm, driven by the trainer's merge list
/// (repeatedly join the adjacent pair whose merge was learned earliest) over the regex's pieces. The library instead
/// joins by the rank of the joined bytes (tiktoken); the two agree when the vocabulary has no duplicate byte strings.
/// </summary>
internal sealed class MergeOrderEncoder(BpeVocabulary vocabulary)
{
    private readonly Dictionary<(int, int), int> _mergeRank =
        vocabulary.Merges.Select((m, i) => (m, i)).ToDictionary(x => (x.m.Left, x.m.Right), x => x.i);
    private readonly Dictionary<string, int[]> _cache = [];
    private readonly Regex _pieces = new(Gpt2PreTokenization.Pattern);

    /// <summary>Encodes text without special tokens.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (Match piece in _pieces.Matches(text))
        {
            if (!_cache.TryGetValue(piece.Value, out var encoded))
            {
                encoded = EncodePiece(Encoding.UTF8.GetBytes(piece.Value));
                _cache[piece.Value] = encoded;
            }

            ids.AddRange(encoded);
        }

        return ids;
    }

    private int[] EncodePiece(byte[] bytes)
    {
        var symbols = bytes.Select(b => (int)b).ToList();
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_mergeRank.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                }
            }

            if (bestRank == int.MaxValue)
            {
                break;
            }

            var merge = vocabulary.Merges[bestRank];
            var merged = new List<int>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == merge.Left && symbols[i + 1] == merge.Right)
                {
                    merged.Add(256 + bestRank);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }

            symbols = merged;
        }

        return [.. symbols];
    }
}
