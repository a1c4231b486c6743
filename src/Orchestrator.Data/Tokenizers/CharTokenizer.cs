using System.Buffers;
using System.Globalization;
using System.Text;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// nanoGPT's character tokenizer: the vocabulary is the sorted distinct Unicode characters (scalar values, so an emoji is
/// one token, not two UTF-16 halves) of the training text, id = position in that order (tinyshakespeare gives 65).
/// Text outside the vocabulary is rejected with the character named, unless <c>allow_unknown</c> added an
/// <c>&lt;unk&gt;</c> token (the last id, decoded as U+FFFD). There is no end-of-text token.
/// </summary>
internal sealed class CharTokenizer : ITextTokenizer
{
    private const int DenseLimit = 0x10000;
    private readonly int[] _codePoints;
    private readonly int[] _denseIds = new int[DenseLimit];
    private readonly Dictionary<int, int> _supplementaryIds = [];

    public CharTokenizer(IReadOnlyList<int> codePoints, bool allowUnknown)
    {
        _codePoints = [.. codePoints];
        for (int i = 0; i < _codePoints.Length; i++)
        {
            if (!Rune.IsValid(_codePoints[i]) || (i > 0 && _codePoints[i] <= _codePoints[i - 1]))
            {
                throw new ArgumentException($"Character vocabulary entry {i} (U+{_codePoints[i]:X4}) is not a Unicode scalar value in strictly ascending order.", nameof(codePoints));
            }
        }

        Array.Fill(_denseIds, -1);
        for (int id = 0; id < _codePoints.Length; id++)
        {
            if (_codePoints[id] < DenseLimit)
            {
                _denseIds[_codePoints[id]] = id;
            }
            else
            {
                _supplementaryIds[_codePoints[id]] = id;
            }
        }

        AllowUnknown = allowUnknown;
        UnknownId = allowUnknown ? _codePoints.Length : null;
    }

    public string Kind => TokenizerKind.Char;

    public int VocabSize => _codePoints.Length + (AllowUnknown ? 1 : 0);

    public int? EndOfTextId => null;

    public bool AllowUnknown { get; }

    /// <summary>The id of <c>&lt;unk&gt;</c>, when <see cref="AllowUnknown"/>.</summary>
    public int? UnknownId { get; }

    /// <summary>The vocabulary's characters as code points, ascending; index = id.</summary>
    public IReadOnlyList<int> CodePoints => _codePoints;

    /// <summary>Builds the vocabulary from every character of the documents.</summary>
    public static CharTokenizer Train(IReadOnlyList<string> documents, bool allowUnknown)
    {
        var seen = new bool[0x110000];
        for (int d = 0; d < documents.Count; d++)
        {
            var text = documents[d].AsSpan();
            for (int i = 0; i < text.Length;)
            {
                if (Rune.DecodeFromUtf16(text[i..], out var rune, out int used) != OperationStatus.Done)
                {
                    throw new ArgumentException(
                        $"Training document {d} holds an unpaired UTF-16 surrogate (U+{(int)text[i]:X4}) at character {i}; it is not a character. Clean the text (decode it as UTF-8 with replacement) before training the char tokenizer.",
                        nameof(documents));
                }

                seen[rune.Value] = true;
                i += used;
            }
        }

        var codePoints = new List<int>();
        for (int c = 0; c < seen.Length; c++)
        {
            if (seen[c])
            {
                codePoints.Add(c);
            }
        }

        return new CharTokenizer(codePoints, allowUnknown);
    }

    public int[] Encode(ReadOnlySpan<byte> bytes)
    {
        var ids = new List<int>(bytes.Length);
        int offset = 0, character = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out var rune, out int used) != OperationStatus.Done)
            {
                var bad = string.Join(" ", bytes.Slice(offset, Math.Max(1, used)).ToArray().Select(b => $"0x{b:X2}"));
                throw new UnencodableTextException(
                    $"Invalid UTF-8 at byte offset {offset} ({bad}): the char tokenizer encodes UTF-8 text only. Re-encode or clean the input, or use the bpe or gpt2 tokenizer, which encode any bytes.");
            }

            int id = IdOf(rune.Value);
            if (id < 0)
            {
                if (UnknownId is not int unknown)
                {
                    throw new UnencodableTextException(
                        $"Character {Show(rune)} (U+{rune.Value:X4}) at character {character} (byte offset {offset}) is not in the char vocabulary of {_codePoints.Length} characters learned from the training text. Leave it out of the text, or prepare the data again with text that contains it (or with `prepare --allow-unknown`, which encodes unseen characters as <unk>) and train on that.");
                }

                id = unknown;
            }

            ids.Add(id);
            offset += used;
            character++;
        }

        return [.. ids];
    }

    public byte[] Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            Rune rune;
            if ((uint)id < (uint)_codePoints.Length)
            {
                rune = new Rune(_codePoints[id]);
            }
            else if (id == UnknownId)
            {
                rune = Rune.ReplacementChar;
            }
            else
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id,
                    $"Token id {id} at position {i} is outside the char vocabulary [0, {VocabSize}); the ids come from a different tokenizer or model.");
            }

            int written = rune.EncodeToUtf8(buffer);
            for (int b = 0; b < written; b++)
            {
                bytes.Add(buffer[b]);
            }
        }

        return [.. bytes];
    }

    private int IdOf(int codePoint) =>
        codePoint < DenseLimit ? _denseIds[codePoint] : _supplementaryIds.GetValueOrDefault(codePoint, -1);

    /// <summary>The character quoted, or escaped when it would not show (controls, format characters, odd spaces).</summary>
    private static string Show(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        bool invisible = category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
        return invisible && rune.Value != ' ' ? $"'\\u{rune.Value:X4}'" : $"'{rune}'";
    }
}
