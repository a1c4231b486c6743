using Orchestrator.Models;

namespace Orchestrator.Training.Tests.TestSupport;

internal static class TestConfigs
{
    /// <summary>A two-layer GPT of about 30k parameters and a 20-step schedule: seconds per run on one core.</summary>
    public static RunConfig Tiny(int vocabSize, double dropout = 0.0) => new()
    {
        Model = new ModelConfig { VocabSize = vocabSize, BlockSize = 16, NLayer = 2, NHead = 2, NEmbd = 32, Dropout = dropout },
        Training = new TrainingOptions
        {
            LearningRate = 3e-3,
            MinLr = 3e-4,
            WarmupSteps = 2,
            MaxSteps = 20,
            BatchSize = 4,
            EvalInterval = 10,
            EvalBatches = 2,
            CheckpointInterval = 10,
            KeepLastCheckpoints = 2,
            Threads = 1,
            LogInterval = 5,
        },
    };
}
