using System.CommandLine;
using Orchestrator.Models;
using Orchestrator.Training;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The model and training flags of <c>train</c> (and of a submitted job). Every flag is optional and overrides the
/// same field of <c>--config FILE.json</c>, which overrides the defaults; the names match config.json's fields.
/// </summary>
internal sealed class RunConfigFlags
{
    public readonly Option<FileInfo?> Config = new("--config") { Description = "JSON run configuration ({\"model\": {...}, \"training\": {...}}); flags override it" };
    public readonly Option<string?> Model = new("--model") { Description = "Model family: gpt, lstm, gru or rnn" };
    public readonly Option<int?> NLayer = new("--n-layer") { Description = "Transformer blocks or recurrent layers" };
    public readonly Option<int?> NHead = new("--n-head") { Description = "Attention heads (gpt; must divide --n-embd)" };
    public readonly Option<int?> NEmbd = new("--n-embd") { Description = "Embedding / hidden width" };
    public readonly Option<int?> BlockSize = new("--block-size") { Description = "Context length in tokens" };
    public readonly Option<double?> Dropout = new("--dropout") { Description = "Dropout probability" };
    public readonly Option<bool?> Bias = new("--bias") { Description = "Biases in Linear and LayerNorm layers (true/false)" };
    public readonly Option<int?> BatchSize = new("--batch-size") { Description = "Micro-batch of ONE worker, in sequences" };
    public readonly Option<int?> GradAccum = new("--grad-accum") { Description = "Micro-batches accumulated per step; global batch = workers x batch size x this" };
    public readonly Option<double?> Lr = new("--lr") { Description = "Peak learning rate" };
    public readonly Option<double?> MinLr = new("--min-lr") { Description = "Learning rate at the end of the decay" };
    public readonly Option<int?> WarmupSteps = new("--warmup-steps") { Description = "Linear warm-up steps" };
    public readonly Option<string?> LrSchedule = new("--lr-schedule") { Description = "cosine, linear or constant" };
    public readonly Option<int?> MaxSteps = new("--max-steps") { Description = "Optimizer steps to train" };
    public readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "AdamW weight decay (2-D weights only)" };
    public readonly Option<double?> Beta1 = new("--beta1") { Description = "AdamW beta1" };
    public readonly Option<double?> Beta2 = new("--beta2") { Description = "AdamW beta2" };
    public readonly Option<double?> GradClip = new("--grad-clip") { Description = "Clip the global gradient norm to this (0 = off)" };
    public readonly Option<int?> EvalInterval = new("--eval-interval") { Description = "Evaluate on val every N steps" };
    public readonly Option<int?> EvalBatches = new("--eval-batches") { Description = "Batches per evaluation" };
    public readonly Option<int?> CheckpointInterval = new("--checkpoint-interval") { Description = "Checkpoint every N steps" };
    public readonly Option<int?> KeepCheckpoints = new("--keep-checkpoints") { Description = "Recent checkpoints kept besides the best" };
    public readonly Option<int?> LogInterval = new("--log-interval") { Description = "Progress line and metrics.jsonl row every N steps" };
    public readonly Option<long?> Seed = new("--seed") { Description = "Seed for initialisation, data order and dropout" };
    public readonly Option<int?> Threads = new("--threads") { Description = "libtorch threads per process (0 = all cores)" };
    public readonly Option<string?> Device = new("--device") { Description = "cpu, cuda or cuda:N" };
    public readonly Option<bool?> Overlap = new("--overlap") { Description = "Overlap gradient all-reduce with backward (true/false)" };
    public readonly Option<string?> GradientCompression = new("--grad-compression") { Description = "Gradients on the wire between workers: none, bf16, powersgd or auto (measured on the job's links)" };
    public readonly Option<int?> PowerSgdRank = new("--powersgd-rank") { Description = "Rank of PowerSGD's low-rank factors (default 4)" };
    public readonly Option<int?> PowerSgdStartStep = new("--powersgd-start-step") { Description = "First step that sends PowerSGD factors (default 10% of --max-steps; whole gradients before)" };
    public readonly Option<int?> ReplicaCheckInterval = new("--replica-check-interval") { Description = "Compare a parameter checksum across workers every N steps (0 = never)" };

    public readonly FineTuningFlags FineTuning = new();

    public IEnumerable<Option> All =>
    [
        .. FineTuning.All,
        Config, Model, NLayer, NHead, NEmbd, BlockSize, Dropout, Bias, BatchSize, GradAccum, Lr, MinLr, WarmupSteps,
        LrSchedule, MaxSteps, WeightDecay, Beta1, Beta2, GradClip, EvalInterval, EvalBatches, CheckpointInterval,
        KeepCheckpoints, LogInterval, Seed, Threads, Device, Overlap, GradientCompression, PowerSgdRank, PowerSgdStartStep, ReplicaCheckInterval,
    ];

    /// <summary>
    /// <paramref name="fallback"/> (defaults, or a resumed run's saved configuration), replaced by <c>--config</c> when
    /// given, then the flags. The vocabulary size comes from the data, or with <c>--init-from</c> from the pretrained
    /// model, which also fixes the architecture (see <see cref="FineTuningFlags"/>).
    /// </summary>
    public RunConfig Resolve(ParseResult parse, int vocabSize, RunConfig? fallback = null)
    {
        var file = parse.GetValue(Config);
        var pretrained = FineTuning.OpenBase(parse, resuming: fallback is not null);
        var lora = FineTuning.Lora(parse, (file is null ? fallback : null)?.Model.Lora);
        var defaults = pretrained is null ? new RunConfig() : new RunConfig { Training = FineTuningDefaults.For(lora is not null) };
        var baseConfig = file is null ? fallback ?? defaults : RunConfig.Load(file.FullName);
        if (file is not null) lora = FineTuning.Lora(parse, baseConfig.Model.Lora);
        var m = baseConfig.Model;
        var t = baseConfig.Training;
        var resolved = Resolve(parse, vocabSize, m with { Lora = lora }, t, fineTuning: baseConfig.InitFrom is not null) with { InitFrom = baseConfig.InitFrom };
        if (pretrained is null) return resolved;
        return resolved with
        {
            Model = FineTuningFlags.ModelFrom(pretrained, parse, this, parse.GetValue(Dropout) ?? 0.0, lora),
            InitFrom = pretrained.Reference,
        };
    }

    private RunConfig Resolve(ParseResult parse, int vocabSize, ModelConfig m, TrainingOptions t, bool fineTuning)
    {
        return new RunConfig
        {
            Model = m with
            {
                Model = parse.GetValue(Model) ?? m.Model,
                VocabSize = fineTuning ? m.VocabSize : vocabSize, // a fine-tuned run keeps its base's vocabulary
                NLayer = parse.GetValue(NLayer) ?? m.NLayer,
                NHead = parse.GetValue(NHead) ?? m.NHead,
                NEmbd = parse.GetValue(NEmbd) ?? m.NEmbd,
                BlockSize = parse.GetValue(BlockSize) ?? m.BlockSize,
                Dropout = parse.GetValue(Dropout) ?? m.Dropout,
                Bias = parse.GetValue(Bias) ?? m.Bias,
            },
            Training = t with
            {
                BatchSize = parse.GetValue(BatchSize) ?? t.BatchSize,
                GradAccumSteps = parse.GetValue(GradAccum) ?? t.GradAccumSteps,
                LearningRate = parse.GetValue(Lr) ?? t.LearningRate,
                MinLr = parse.GetValue(MinLr) ?? t.MinLr,
                WarmupSteps = parse.GetValue(WarmupSteps) ?? t.WarmupSteps,
                LrSchedule = parse.GetValue(LrSchedule) ?? t.LrSchedule,
                MaxSteps = parse.GetValue(MaxSteps) ?? t.MaxSteps,
                WeightDecay = parse.GetValue(WeightDecay) ?? t.WeightDecay,
                Beta1 = parse.GetValue(Beta1) ?? t.Beta1,
                Beta2 = parse.GetValue(Beta2) ?? t.Beta2,
                GradClip = parse.GetValue(GradClip) ?? t.GradClip,
                EvalInterval = parse.GetValue(EvalInterval) ?? t.EvalInterval,
                EvalBatches = parse.GetValue(EvalBatches) ?? t.EvalBatches,
                CheckpointInterval = parse.GetValue(CheckpointInterval) ?? t.CheckpointInterval,
                KeepLastCheckpoints = parse.GetValue(KeepCheckpoints) ?? t.KeepLastCheckpoints,
                LogInterval = parse.GetValue(LogInterval) ?? t.LogInterval,
                Seed = parse.GetValue(Seed) ?? t.Seed,
                Threads = parse.GetValue(Threads) ?? t.Threads,
                Device = parse.GetValue(Device) ?? t.Device,
                OverlapCommunication = parse.GetValue(Overlap) ?? t.OverlapCommunication,
                ReplicaCheckInterval = parse.GetValue(ReplicaCheckInterval) ?? t.ReplicaCheckInterval,
                GradientCompression = parse.GetValue(GradientCompression) ?? t.GradientCompression,
                PowerSgdRank = parse.GetValue(PowerSgdRank) ?? t.PowerSgdRank,
                PowerSgdStartStep = parse.GetValue(PowerSgdStartStep) ?? t.PowerSgdStartStep,
            },
        };
    }
}
