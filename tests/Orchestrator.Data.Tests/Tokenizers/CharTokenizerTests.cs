using System.Text;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

public sealed class CharTokenizerTests
{
    private static ITextTokenizer Train(string text, bool allowUnknown = false) =>
        TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char, AllowUnknown = allowUnknown }, [text]);

    [Fact]
    public void Tinyshakespeare_gives_nanoGPTs_65_characters_in_code_point_order()
    {
        var tokenizer = Train(TinyShakespeare);

        Assert.Equal(65, tokenizer.VocabSize);
        Assert.Null(tokenizer.EndOfTextId);
        // nanoGPT: chars = sorted(set(data)); stoi['\n'] = 0, stoi[' '] = 1, stoi['!'] = 2, stoi['A'] = 13, stoi['a'] = 39, stoi['z'] = 64.
        Assert.Equal([0, 1, 2, 13, 39, 64], tokenizer.Encode("\n !Aaz"u8));
    }

    [Fact]
    public void Text_inside_the_vocabulary_round_trips_exactly()
    {
        var tokenizer = Train(TinyShakespeare);
        var bytes = Utf8(TinyShakespeare);

        var ids = tokenizer.Encode(bytes);

        Assert.Equal(TinyShakespeare.Length, ids.Length);
        Assert.Equal(bytes, tokenizer.Decode(ids));
    }

    [Fact]
    public void A_character_outside_the_basic_plane_is_one_token_not_two_utf16_halves()
    {
        var tokenizer = Train("a😀b日");

        Assert.Equal(4, tokenizer.VocabSize);
        var ids = tokenizer.Encode(Utf8("😀日a😀"));
        Assert.Equal([3, 2, 0, 3], ids); // sorted by code point: a, b, 日 (U+65E5), 😀 (U+1F600)
        Assert.Equal("😀日a😀", Encoding.UTF8.GetString(tokenizer.Decode(ids)));
    }

    [Fact]
    public void An_unknown_character_is_rejected_naming_it_its_code_point_and_position()
    {
        var tokenizer = Train("abc");

        var error = Assert.Throws<UnencodableTextException>(() => tokenizer.Encode(Utf8("aéXc")));

        Assert.Contains("'é'", error.Message);
        Assert.Contains("U+00E9", error.Message);
        Assert.Contains("character 1", error.Message);
        Assert.Contains("byte offset 1", error.Message);
        Assert.Contains("prepare --allow-unknown", error.Message);
    }

    [Fact]
    public void An_invisible_unknown_character_is_shown_escaped()
    {
        var tokenizer = Train("abc");

        var error = Assert.Throws<UnencodableTextException>(() => tokenizer.Encode(Utf8("ab\tc")));

        Assert.Contains(@"'\u0009'", error.Message);
        Assert.Contains("U+0009", error.Message);
        Assert.Contains("character 2", error.Message);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_its_byte_offset()
    {
        var tokenizer = Train("abc");

        var error = Assert.Throws<UnencodableTextException>(() => tokenizer.Encode([0x61, 0x62, 0xFF, 0x63]));

        Assert.Contains("Invalid UTF-8 at byte offset 2", error.Message);
        Assert.Contains("0xFF", error.Message);
    }

    [Fact]
    public void Allow_unknown_adds_an_unk_token_that_decodes_as_the_replacement_character()
    {
        var tokenizer = Train("abc", allowUnknown: true);

        Assert.Equal(4, tokenizer.VocabSize);
        var ids = tokenizer.Encode(Utf8("aXb😀"));
        Assert.Equal([0, 3, 1, 3], ids);
        Assert.Equal("a\uFFFDb\uFFFD", Encoding.UTF8.GetString(tokenizer.Decode(ids)));
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_names_the_id()
    {
        var tokenizer = Train("abc");

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([0, 7]));

        Assert.Contains("Token id 7 at position 1", error.Message);
    }
}
