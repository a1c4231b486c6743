using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Data.Tokenizers.Bpe;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

public sealed class BpeTrainerTests
{
    private static string Text(BpeVocabulary vocabulary, int id) => Encoding.UTF8.GetString(vocabulary.TokenBytes[id]);

    [Fact]
    public void Learns_the_merges_computed_by_hand_for_a_small_corpus()
    {
        // Pieces: "abab", " abc", " ab". Pair counts: (a,b)=4, ( ,a)=2, (b,a)=1, (b,c)=1 -> merge a+b = 256.
        // Words [256,256], [ ,256,c], [ ,256]: ( ,256)=2, (256,256)=1, (256,c)=1 -> merge " "+256 = 257.
        // Words [256,256], [257,c], [257]: (256,256)=1, (257,c)=1 tie -> smaller left id: 256+256 = 258, then 257+c = 259.
        var vocabulary = BpeTrainer.Train(["abab abc ab"], vocabSize: 261, [TokenizerKind.EndOfText]);

        Assert.Equal([new BpeMerge('a', 'b'), new BpeMerge(' ', 256), new BpeMerge(256, 256), new BpeMerge(257, 'c')], vocabulary.Merges);
        Assert.Equal(["ab", " ab", "abab", " abc"], Enumerable.Range(256, 4).Select(id => Text(vocabulary, id)));
        Assert.Equal(261, vocabulary.VocabSize);
        Assert.Equal(260, vocabulary.SpecialTokenIds()[TokenizerKind.EndOfText]);
    }

    [Fact]
    public void Overlapping_repeats_merge_left_to_right_and_ties_go_to_the_smaller_right_id()
    {
        // "aaaaa": (a,a)=4 -> 256 applied left to right gives [256,256,a]; (256,a)=1 and (256,256)=1 tie on the left id,
        // so the smaller right id wins: 256+a = 257 ("aaa"), leaving [256,257] -> 258 ("aaaaa"). Then no pair is left,
        // so training stops at 256 + 3 merges + 1 special = 260 although 262 was asked for.
        var vocabulary = BpeTrainer.Train(["aaaaa"], vocabSize: 262, [TokenizerKind.EndOfText]);

        Assert.Equal([new BpeMerge('a', 'a'), new BpeMerge(256, 'a'), new BpeMerge(256, 257)], vocabulary.Merges);
        Assert.Equal(["aa", "aaa", "aaaaa"], Enumerable.Range(256, 3).Select(id => Text(vocabulary, id)));
        Assert.Equal(260, vocabulary.VocabSize);
    }

    [Fact]
    public void Reaches_the_requested_vocab_size_exactly_counting_bytes_and_special_tokens()
    {
        var vocabulary = ShakespeareBpe;
        var tokenizer = TokenizerFactory.FromBpe(vocabulary);

        Assert.Equal(TrainedVocabSize, vocabulary.VocabSize);
        Assert.Equal(TrainedVocabSize - 256 - 1, vocabulary.Merges.Count);
        Assert.Equal(TrainedVocabSize, tokenizer.VocabSize);
        Assert.Equal(TrainedVocabSize - 1, tokenizer.EndOfTextId);
    }

    [Fact]
    public void Never_emits_two_tokens_with_the_same_bytes()
    {
        var vocabulary = ShakespeareBpe;

        var distinct = vocabulary.TokenBytes.Select(Convert.ToBase64String).Distinct().Count();

        Assert.Equal(vocabulary.TokenBytes.Count, distinct);
    }

    [Fact]
    public void The_result_does_not_depend_on_the_thread_count()
    {
        var oneThread = BpeTrainer.Train([TinyShakespeare], 600, [TokenizerKind.EndOfText], maxDegreeOfParallelism: 1);
        var twoThreads = BpeTrainer.Train([TinyShakespeare], 600, [TokenizerKind.EndOfText], maxDegreeOfParallelism: 2);

        Assert.Equal(oneThread.Merges, twoThreads.Merges);
        Assert.Equal(ShakespeareBpe.Merges.Take(600 - 257), oneThread.Merges);
    }

    [Fact]
    public void Special_tokens_in_the_training_text_are_cut_out_and_never_learned()
    {
        var documents = Enumerable.Repeat("hello world<|endoftext|>", 50).ToList();

        var vocabulary = BpeTrainer.Train(documents, 300, [TokenizerKind.EndOfText]);

        var tokens = Enumerable.Range(256, vocabulary.Merges.Count).Select(id => Text(vocabulary, id)).ToList();
        Assert.Contains(" world", tokens);
        Assert.DoesNotContain(tokens, t => t.Contains("endof") || t.Contains("|>") || t.Contains("<|"));
    }

    [Fact]
    public void Reports_progress_and_an_early_stop()
    {
        var progress = new RecordingProgress<string>();

        BpeTrainer.Train(["aaaaa"], 1000, [TokenizerKind.EndOfText], progress: progress);

        Assert.Contains(progress.Reports, r => r.Contains("ran out of pairs after 3 merges") && r.Contains("260 instead of 1,000"));
    }

    [Fact]
    public void A_vocab_size_below_bytes_plus_special_tokens_is_rejected_with_the_minimum()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["abc"], 200, ["<|endoftext|>", "<|pad|>"]));

        Assert.Contains("vocab_size 200", error.Message);
        Assert.Contains("258", error.Message);
    }

    [Fact]
    public void Duplicate_special_tokens_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["abc"], 300, ["<|x|>", "<|x|>"]));

        Assert.Contains("'<|x|>' twice", error.Message);
    }
}
