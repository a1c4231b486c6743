using System.Text;
using Microsoft.ML.Tokenizers;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

public sealed class Gpt2TokenizerTests
{
    private static readonly ITextTokenizer Gpt2 = TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Gpt2 }, []);

    [Fact]
    public void Tinyshakespeare_is_338025_tokens_as_one_document()
    {
        Assert.Equal(338_025, Gpt2.Encode(Utf8(TinyShakespeare)).Length);
    }

    [Fact]
    public void Has_gpt2s_vocabulary_size_and_end_of_text_id()
    {
        Assert.Equal("gpt2", Gpt2.Kind);
        Assert.Equal(50_257, Gpt2.VocabSize);
        Assert.Equal(50_256, Gpt2.EndOfTextId);
        Assert.Equal([50_256], Gpt2.Encode("<|endoftext|>"u8));
    }

    [Fact]
    public void Encodes_known_gpt2_ids()
    {
        // Reference ids from OpenAI's GPT-2 encoder: "Hello world" -> [15496, 995]; " the" = 262; "\n\n" = 628.
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world"u8));
        Assert.Equal([262], Gpt2.Encode(" the"u8));
        Assert.Equal([628], Gpt2.Encode("\n\n"u8));
    }

    [Fact]
    public void Our_decode_table_agrees_with_the_librarys_decode_for_every_token_that_is_whole_utf8()
    {
        var library = TiktokenTokenizer.CreateForModel("gpt2");
        int compared = 0;

        for (int id = 0; id < 50_256; id++)
        {
            var bytes = Gpt2.Decode([id]);
            if (System.Text.Unicode.Utf8.IsValid(bytes))
            {
                Assert.Equal(library.Decode([id]), Encoding.UTF8.GetString(bytes));
                compared++;
            }
        }

        Assert.True(compared > 49_000, $"only {compared} tokens compared");
    }
}
