using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Pretrained;

namespace Orchestrator.Training.TestSupport;

/// <summary>Run configurations small enough for unit tests.</summary>
public static class TestConfigs
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

    /// <summary>Fine-tuning a <see cref="PythonGpt2"/> base model (<c>--init-from</c>), optionally with LoRA, on the <see cref="Tiny"/> schedule.</summary>
    public static RunConfig FineTune(string baseDirectory, int vocabSize, LoraConfig? lora = null) => new()
    {
        Model = new ModelConfig
        {
            VocabSize = Math.Max(vocabSize, PythonGpt2.Vocab), BlockSize = 16, NLayer = 2, NHead = 2, NEmbd = 16,
            Activation = "gelu_new", Lora = lora,
        },
        Training = Tiny(1).Training,
        InitFrom = new BaseModelReference { Path = baseDirectory },
    };
}
