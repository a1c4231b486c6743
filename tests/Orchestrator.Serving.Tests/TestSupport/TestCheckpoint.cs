using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>
/// A real checkpoint written by the Training project's <see cref="CheckpointWriter"/>: a two-layer GPT (block_size 32)
/// with a char tokenizer, trained for a few hundred steps on the start of tinyshakespeare so that greedy text depends
/// on the prompt. Built once per test run in a temp directory.
/// </summary>
internal static class TestCheckpoint
{
    public const int BlockSize = 32;
    public const string RunName = "tiny-shakespeare";
    private static readonly Lazy<string> Shared = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "orchestrator-serving-tests", $"checkpoint-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (System.IO.Directory.Exists(root)) System.IO.Directory.Delete(root, recursive: true);
        };
        return Create(root, new ModelConfig { BlockSize = BlockSize, NLayer = 2, NHead = 2, NEmbd = 32 }, steps: 300);
    });

    /// <summary>The checkpoint directory (<c>RUN/checkpoints/step-00000300</c>).</summary>
    public static string Directory => Shared.Value;

    public static string Corpus
    {
        get
        {
            var path = Path.Combine(RepositoryPaths.SharedData, "tinyshakespeare.txt");
            if (!File.Exists(path))
                throw new FileNotFoundException($"The serving tests train their tiny model on '{path}': make the shared data available.", path);
            return File.ReadAllText(path)[..20_000];
        }
    }

    /// <summary>Trains <paramref name="modelConfig"/> (its vocabulary set from the corpus) for a few steps and writes RUN/checkpoints/step-N under <paramref name="root"/>.</summary>
    public static string Create(string root, ModelConfig modelConfig, int steps)
    {
        var text = Corpus;
        var tokenizer = TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char }, [text]);
        var tokenizerDirectory = Path.Combine(root, "tokenizer");
        TokenizerStore.Save(tokenizer, tokenizerDirectory);

        var config = new RunConfig
        {
            Model = modelConfig with { VocabSize = tokenizer.VocabSize },
            Training = new TrainingOptions { LearningRate = 1e-2, MaxSteps = steps, WarmupSteps = 0, Threads = 1 },
        };
        set_num_threads(1); // the same float reduction order, hence the same weights, in every run
        manual_seed(1234);
        using var model = ModelFactory.Create(config.Model);
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.95, 1e-8, 0.0);
        Train(model, optimizer, tokenizer.Encode(Encoding.UTF8.GetBytes(text)), steps);
        var checkpoints = CheckpointFiles.CheckpointsDirectory(Path.Combine(root, RunName));
        return new CheckpointWriter(checkpoints).Write(new CheckpointContent(model, optimizer, new TrainerState { Step = steps, DataPosition = steps }, config, tokenizerDirectory));
    }

    private static void Train(LanguageModel model, AdamW optimizer, int[] ids, int steps)
    {
        var random = new Random(7);
        model.train();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var length = model.Config.BlockSize;
            var starts = Enumerable.Range(0, 16).Select(_ => random.Next(ids.Length - length - 1)).ToArray();
            var x = tensor(starts.SelectMany(s => ids.Skip(s).Take(length)).Select(i => (long)i).ToArray(), [16, length]);
            var y = tensor(starts.SelectMany(s => ids.Skip(s + 1).Take(length)).Select(i => (long)i).ToArray(), [16, length]);
            var logits = model.forward(x);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), y.view(-1));
            model.zero_grad();
            loss.backward();
            optimizer.Step(1e-2);
        }
        model.eval();
    }
}
