using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Optimization;
using static TorchSharp.torch;

namespace ServingBench;

/// <summary>
/// A checkpoint of nanoGPT's "baby GPT" shape (6 layers, 6 heads, 384 wide: 10.8M parameters) with a 1024-token
/// context and tinyshakespeare's character vocabulary, with initial (untrained) weights: speed does not depend on the
/// weights' values, and this keeps the benchmark independent of a training run. Written with the Training project's
/// <see cref="CheckpointWriter"/>, so the server loads it exactly as a trained one.
/// </summary>
internal static class BenchCheckpoint
{
    public static ModelConfig Config(int vocabSize) =>
        new() { VocabSize = vocabSize, BlockSize = 1024, NLayer = 6, NHead = 6, NEmbd = 384, Dropout = 0 };

    public static string Create(string directory, string corpusPath)
    {
        var text = File.ReadAllText(corpusPath);
        var tokenizer = TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char }, [text]);
        var tokenizerDirectory = Path.Combine(directory, "tokenizer");
        TokenizerStore.Save(tokenizer, tokenizerDirectory);
        var config = new RunConfig { Model = Config(tokenizer.VocabSize) };
        manual_seed(1337);
        using var model = ModelFactory.Create(config.Model);
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.95, 1e-8, 0.1);
        var checkpoints = CheckpointFiles.CheckpointsDirectory(Path.Combine(directory, "baby-gpt-1024"));
        return new CheckpointWriter(checkpoints).Write(new CheckpointContent(model, optimizer, new TrainerState(), config, tokenizerDirectory));
    }

    /// <summary>Deterministic prompt ids of a given length, cut from the corpus.</summary>
    public static long[] Prompt(ITextTokenizer tokenizer, string corpusPath, int length)
    {
        var text = File.ReadAllText(corpusPath);
        return tokenizer.Encode(Encoding.UTF8.GetBytes(text[..(length * 2)])).Take(length).Select(i => (long)i).ToArray();
    }
}
