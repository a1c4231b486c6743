using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

/// <summary>The saved bpe is a standard tiktoken vocabulary: Microsoft.ML.Tokenizers loads it and encodes as the trainer learned.</summary>
public sealed class BpeLibraryTests
{
    [Fact]
    public void Saved_ranks_load_in_Microsoft_ML_Tokenizers_and_encode_tinyshakespeare_in_the_trainers_merge_order()
    {
        using var folder = new TempFolder();
        var vocabulary = ShakespeareBpe;
        TokenizerStore.Save(TokenizerFactory.FromBpe(vocabulary), folder.Path);
        var specials = new Dictionary<string, int> { [TokenizerKind.EndOfText] = vocabulary.VocabSize - 1 };
        var regex = new Regex(Gpt2PreTokenization.Pattern, RegexOptions.Compiled);

        // Straight from the file with the library's own API, none of our code in the way.
        var library = TiktokenTokenizer.Create(Path.Combine(folder.Path, "bpe.tiktoken"), new RegexPreTokenizer(regex, specials), null, specials);
        var libraryIds = library.EncodeToIds(TinyShakespeare);
        var referenceIds = new MergeOrderEncoder(vocabulary).Encode(TinyShakespeare);

        Assert.Equal(referenceIds.Count, libraryIds.Count);
        Assert.Equal(referenceIds, libraryIds);
        Assert.Equal(referenceIds, TokenizerStore.Load(folder.Path).Encode(Utf8(TinyShakespeare)));
        Assert.True(libraryIds.Count < Utf8(TinyShakespeare).Length / 2.5, "2,048 tokens should compress their training text below 2.5 bytes per token");
    }

    [Fact]
    public void The_special_token_encodes_to_its_id_anywhere_in_the_text_and_decodes_back()
    {
        var tokenizer = TokenizerFactory.FromBpe(ShakespeareBpe);
        int endOfText = TrainedVocabSize - 1;

        Assert.Equal([endOfText], tokenizer.Encode("<|endoftext|>"u8));
        var ids = tokenizer.Encode("ROMEO:<|endoftext|>JULIET:"u8);
        Assert.Single(ids, endOfText);
        Assert.Equal("ROMEO:<|endoftext|>JULIET:", Encoding.UTF8.GetString(tokenizer.Decode(ids)));
    }

    [Fact]
    public void On_text_not_seen_in_training_the_library_still_encodes_in_the_trainers_merge_order()
    {
        // Rank-of-bytes encoding (tiktoken) and merge-order encoding can only differ where pieces split in ways training
        // never produced; unseen text is where that would show.
        int half = TinyShakespeare.IndexOf("\n\n", TinyShakespeare.Length / 2, StringComparison.Ordinal);
        var vocabulary = Orchestrator.Data.Tokenizers.Bpe.BpeTrainer.Train([TinyShakespeare[..half]], 8000, [TokenizerKind.EndOfText]);
        var unseen = TinyShakespeare[half..] + string.Concat(HostileTexts().Where(t => !t.Contains("<|")));

        var libraryIds = TokenizerFactory.FromBpe(vocabulary).Encode(Utf8(unseen));

        Assert.Equal(0, vocabulary.SkippedDuplicatePairs);
        Assert.Equal(new MergeOrderEncoder(vocabulary).Encode(unseen), libraryIds);
    }
}
