using System.Diagnostics;
using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Data.Tokenizers.Bpe;

// Measurements for bench/bpe/run.sh, one JSON line per command so the driver can parse them:
//   train <vocab> <file>...          train our bpe on the files (each file one document), time from reading to a usable tokenizer
//   encode <bpe|gpt2> <vocab> <file>  encode the file with ParallelEncoder on 1 thread and on every core, MB/s of UTF-8 input
return args switch
{
    ["train", var vocab, .. var files] when files.Length > 0 => Train(int.Parse(vocab), files),
    ["encode", var kind, var vocab, var file] => Encode(kind, int.Parse(vocab), file),
    _ => Usage(),
};

static int Train(int vocabSize, string[] files)
{
    var clock = Stopwatch.StartNew();
    var documents = files.Select(File.ReadAllText).ToList();
    double readSeconds = clock.Elapsed.TotalSeconds;
    var vocabulary = BpeTrainer.Train(documents, vocabSize, [TokenizerKind.EndOfText], progress: Environment.GetEnvironmentVariable("BPEBENCH_VERBOSE") is null ? null : new ConsoleProgress());
    double trainSeconds = clock.Elapsed.TotalSeconds - readSeconds;
    var tokenizer = TokenizerFactory.FromBpe(vocabulary);
    double total = clock.Elapsed.TotalSeconds;
    Console.WriteLine(
        $"{{\"seconds\":{total:F4},\"read_seconds\":{readSeconds:F4},\"train_seconds\":{trainSeconds:F4},\"vocab_size\":{tokenizer.VocabSize},\"merges\":{vocabulary.Merges.Count},\"skipped_duplicates\":{vocabulary.SkippedDuplicatePairs}}}");
    return 0;
}

static int Encode(string kind, int vocabSize, string file)
{
    var text = File.ReadAllText(file);
    var documents = new[] { text };
    var options = new TokenizerOptions { Kind = kind, VocabSize = vocabSize };
    var tokenizer = TokenizerFactory.Create(options, documents);
    double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
    ParallelEncoder.EncodeDocuments(tokenizer, documents, 1); // warm-up: JIT and the library's caches
    double single = Best(() => ParallelEncoder.EncodeDocuments(tokenizer, documents, 1));
    double multi = Best(() => ParallelEncoder.EncodeDocuments(tokenizer, documents, Environment.ProcessorCount));
    int tokens = ParallelEncoder.EncodeDocuments(tokenizer, documents, 1).Length;
    Console.WriteLine(
        $"{{\"kind\":\"{kind}\",\"megabytes\":{megabytes:F3},\"tokens\":{tokens},\"threads\":{Environment.ProcessorCount},\"mb_per_s_1\":{megabytes / single:F2},\"mb_per_s_n\":{megabytes / multi:F2}}}");
    return 0;
}

static double Best(Action action)
{
    double best = double.MaxValue;
    for (int i = 0; i < 3; i++)
    {
        var clock = Stopwatch.StartNew();
        action();
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }

    return best;
}

static int Usage()
{
    Console.Error.WriteLine("usage: BpeBench train <vocab> <file>... | encode <bpe|gpt2> <vocab> <file>");
    return 2;
}

/// <summary>Prints trainer progress synchronously (Progress&lt;T&gt; would post to the thread pool and print late).</summary>
sealed class ConsoleProgress : IProgress<string>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public void Report(string value) => Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds:F3}] {value}");
}
