using System.Text;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// <c>tokenize</c> works on bytes: a byte-level bpe vocabulary turns any input into ids and back without losing a
/// byte, while a char vocabulary refuses text it cannot represent and says which character.
/// </summary>
public sealed class TokenizeRoundTripTests(TokenizerDatasets datasets) : IClassFixture<TokenizerDatasets>
{
    public static TheoryData<string> HostileInputs => new(HostileBytes.Keys);

    private static readonly Dictionary<string, byte[]> HostileBytes = new()
    {
        ["emoji and a ZWJ sequence"] = Encoding.UTF8.GetBytes("fire \U0001F525, family \U0001F468\u200D\U0001F469\u200D\U0001F467!"),
        ["CJK and combining marks"] = Encoding.UTF8.GetBytes("世界 こんにちは 한국어 e\u0301 \u00E9"),
        ["invalid UTF-8"] = [0x61, 0xFF, 0x62, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0xE2, 0x82, 0x0A, 0x80],
        ["NUL and control bytes"] = [0x00, 0x41, 0x00, 0x00, 0x07, 0x1B, 0x5B, 0x30, 0x6D, 0x0D, 0x0A, 0x7F, 0x00],
        ["special-token text and CRLF"] = Encoding.UTF8.GetBytes("end<|endoftext|>start\r\n\r\n<|endoftext|>"),
        ["4 KiB of random bytes"] = RandomBytes(4096, seed: 42),
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task Bpe_decode_of_encode_returns_the_exact_bytes(string input)
    {
        var bytes = HostileBytes[input];
        var encoded = await OrchestratorCli.SucceedAsync(["tokenize", datasets.Bpe], stdin: bytes);
        var ids = Assert.Single(encoded.StdoutLines).Split(' ').Select(int.Parse).ToArray();
        Assert.All(ids, id => Assert.InRange(id, 0, 299));

        var decoded = await OrchestratorCli.SucceedAsync(["tokenize", datasets.Bpe, "--decode"], stdin: encoded.StdoutBytes);
        Assert.Equal(bytes, decoded.StdoutBytes);
    }

    [Fact]
    public async Task Bpe_encodes_the_training_text_in_fewer_ids_than_bytes()
    {
        var text = "First Citizen:\nBefore we proceed any further, hear me speak.\n"u8.ToArray();
        var encoded = await OrchestratorCli.SucceedAsync(["tokenize", datasets.Bpe], stdin: text);
        var ids = encoded.LastStdoutLine.Split(' ');
        // 43 merges (300 ids = 256 bytes + 43 merges + <|endoftext|>) learned from this very text: common pieces such as "e " and "th" become one id.
        Assert.InRange(ids.Length, text.Length / 3, text.Length - 10);
    }

    [Fact]
    public async Task Char_round_trips_text_of_its_vocabulary_one_id_per_character()
    {
        var text = "ROMEO:\nWhat say you, Citizens?\n"u8.ToArray();
        var encoded = await OrchestratorCli.SucceedAsync(["tokenize", datasets.Char], stdin: text);
        Assert.Equal(text.Length, encoded.LastStdoutLine.Split(' ').Length);
        var decoded = await OrchestratorCli.SucceedAsync(["tokenize", datasets.Char, "--decode"], stdin: encoded.StdoutBytes);
        Assert.Equal(text, decoded.StdoutBytes);
    }

    [Fact]
    public async Task Char_rejects_a_character_outside_its_vocabulary_naming_it()
    {
        var result = await OrchestratorCli.RunAsync(["tokenize", datasets.Char], stdin: Encoding.UTF8.GetBytes("All is well \u00E7a va"));
        OneLineError.Assert(result, "'\u00E7'", "U+00E7", "char vocabulary");
    }

    [Fact]
    public async Task Char_rejects_invalid_UTF8_naming_the_byte_and_its_offset()
    {
        var result = await OrchestratorCli.RunAsync(["tokenize", datasets.Char], stdin: [0x61, 0x62, 0xFF, 0x63]);
        OneLineError.Assert(result, "0xFF", "offset 2");
    }

    [Fact]
    public async Task Decode_rejects_an_id_outside_the_vocabulary_naming_it()
    {
        var result = await OrchestratorCli.RunAsync(["tokenize", datasets.Bpe, "--decode"], stdin: "72 101 300"u8.ToArray());
        OneLineError.Assert(result, "'300'", "[0, 300)");
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
