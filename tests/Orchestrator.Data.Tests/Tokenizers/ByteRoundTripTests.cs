using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

/// <summary>The byte-level tokenizers (bpe, gpt2) must give back exactly the bytes they were given, whatever they are.</summary>
public sealed class ByteRoundTripTests
{
    public static TheoryData<string> ByteLevelKinds => [TokenizerKind.Bpe, TokenizerKind.Gpt2];

    private static ITextTokenizer Tokenizer(string kind) =>
        kind == TokenizerKind.Bpe ? TokenizerFactory.FromBpe(ShakespeareBpe) : TokenizerFactory.Create(new TokenizerOptions { Kind = kind }, []);

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void Random_bytes_round_trip_exactly(string kind)
    {
        var tokenizer = Tokenizer(kind);
        var random = new Random(20240611);

        for (int sample = 0; sample < 300; sample++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            if (sample % 3 == 0)
            {
                // Mostly-ASCII bytes with invalid bytes sprinkled in exercise the valid-run / invalid-byte boundaries.
                for (int i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = i % 17 == 5 ? bytes[i] : (byte)(32 + bytes[i] % 95);
                }
            }

            var ids = tokenizer.Encode(bytes);

            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(bytes, tokenizer.Decode(ids));
        }
    }

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void Hostile_utf8_text_round_trips_exactly(string kind)
    {
        var tokenizer = Tokenizer(kind);

        foreach (var text in HostileTexts())
        {
            var bytes = Utf8(text);
            Assert.Equal(bytes, tokenizer.Decode(tokenizer.Encode(bytes)));
        }
    }

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void Invalid_utf8_round_trips_exactly_with_each_bad_byte_as_its_own_token(string kind)
    {
        var tokenizer = Tokenizer(kind);

        foreach (var bytes in InvalidUtf8())
        {
            Assert.Equal(bytes, tokenizer.Decode(tokenizer.Encode(bytes)));
        }

        var ids = tokenizer.Encode([0x61, 0xFF, 0x62]);
        Assert.Equal(3, ids.Length);
        Assert.Equal([0xFF], tokenizer.Decode([ids[1]]));
    }

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void Tinyshakespeare_round_trips_exactly(string kind)
    {
        var tokenizer = Tokenizer(kind);
        var bytes = Utf8(TinyShakespeare);

        Assert.Equal(bytes, tokenizer.Decode(tokenizer.Encode(bytes)));
    }

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void Decoding_an_id_outside_the_vocabulary_names_the_id(string kind)
    {
        var tokenizer = Tokenizer(kind);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([1, tokenizer.VocabSize]));

        Assert.Contains($"Token id {tokenizer.VocabSize} at position 1", error.Message);
    }

    [Theory]
    [MemberData(nameof(ByteLevelKinds))]
    public void The_end_of_text_token_keeps_its_id_after_the_library_cache_has_turned_over(string kind)
    {
        // Microsoft.ML.Tokenizers 2.0.1 knows special tokens only through an 8,192-entry LRU cache of pieces; flood it.
        var tokenizer = Tokenizer(kind);
        var random = new Random(3);
        var words = string.Concat(Enumerable.Range(0, 20_000).Select(_ => " " + new string(Enumerable.Range(0, 6).Select(_ => (char)('a' + random.Next(26))).ToArray())));
        tokenizer.Encode(Utf8(words));

        var ids = tokenizer.Encode("x<|endoftext|>y"u8);

        Assert.Equal(3, ids.Length);
        Assert.Equal(tokenizer.EndOfTextId, ids[1]);
    }
}
