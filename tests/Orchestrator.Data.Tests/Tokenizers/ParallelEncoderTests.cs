using System.Text;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

public sealed class ParallelEncoderTests
{
    public static TheoryData<string> Kinds => [TokenizerKind.Char, TokenizerKind.Bpe, TokenizerKind.Gpt2];

    private static ITextTokenizer Tokenizer(string kind) => kind switch
    {
        TokenizerKind.Bpe => TokenizerFactory.FromBpe(ShakespeareBpe),
        _ => TokenizerFactory.Create(new TokenizerOptions { Kind = kind }, [TinyShakespeare]),
    };

    /// <summary>The whole play as one document (cut into chunks inside), then its paragraphs as many small documents.</summary>
    private static List<string> Documents()
    {
        var documents = new List<string> { TinyShakespeare, "" };
        documents.AddRange(TinyShakespeare[..200_000].Split("\n\n"));
        return documents;
    }

    private static List<int> Sequential(ITextTokenizer tokenizer, IReadOnlyList<string> documents)
    {
        var separator = tokenizer.EndOfTextId is int id ? [id] : tokenizer.Encode("\n\n"u8);
        var ids = new List<int>();
        for (int d = 0; d < documents.Count; d++)
        {
            if (d > 0)
            {
                ids.AddRange(separator);
            }

            ids.AddRange(tokenizer.Encode(Encoding.UTF8.GetBytes(documents[d])));
        }

        return ids;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parallel_output_equals_encoding_each_document_in_order(string kind)
    {
        var tokenizer = Tokenizer(kind);
        var documents = Documents();
        Assert.True(TinyShakespeare.Length > 4 * ParallelEncoder.ChunkChars, "the long document must be cut into several chunks");

        var expected = Sequential(tokenizer, documents);

        Assert.Equal(expected, ParallelEncoder.EncodeDocuments(tokenizer, documents, 1));
        Assert.Equal(expected, ParallelEncoder.EncodeDocuments(tokenizer, documents, 3));
        Assert.Equal(expected, ParallelEncoder.EncodeDocuments(tokenizer, documents, -1));
    }

    [Fact]
    public void Documents_are_separated_by_end_of_text_or_by_an_encoded_blank_line()
    {
        var gpt2 = Tokenizer(TokenizerKind.Gpt2);
        var chars = TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char }, ["ab\n"]);

        Assert.Equal([64, 50256, 65, 50256, 66], ParallelEncoder.EncodeDocuments(gpt2, ["a", "b", "c"], 2));
        Assert.Equal([1, 0, 0, 2], ParallelEncoder.EncodeDocuments(chars, ["a", "b"], 2)); // '\n' = 0, 'a' = 1, 'b' = 2
    }

    [Fact]
    public void A_char_vocabulary_without_line_breaks_cannot_separate_documents_and_says_so()
    {
        var chars = TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char }, ["ab"]);

        var error = Assert.Throws<UnencodableTextException>(() => ParallelEncoder.EncodeDocuments(chars, ["a", "b"], 1));

        Assert.Contains("\"\\n\\n\" that separates documents", error.Message);
    }

    [Fact]
    public void Reports_the_running_total_of_utf8_bytes_encoded()
    {
        var progress = new RecordingProgress<long>();
        var documents = Documents();

        ParallelEncoder.EncodeDocuments(Tokenizer(TokenizerKind.Gpt2), documents, 2, progress);

        Assert.Equal(documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d)), progress.Reports.Max());
    }
}
