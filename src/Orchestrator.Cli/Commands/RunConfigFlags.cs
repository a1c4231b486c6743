using System.CommandLine;
using System.Globalization;
using Orchestrator.Models;
using Orchestrator.Training;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The model and training flags of <c>train</c> (and of a submitted job). Every flag is optional and overrides the
/// same field of <c>--config FILE.json</c>, which overrides the defaults; each flag knows its config.json key, so help
/// shows the default and an invalid value is reported under the flag's name.
/// </summary>
internal sealed class RunConfigFlags
{
    private static readonly ModelConfig M = new();
    private static readonly TrainingOptions T = new();

    public readonly Option<FileInfo?> Config = new("--config") { Description = "JSON run configuration ({\"model\": {...}, \"training\": {...}}); flags override it [default: none]" };
    public readonly Option<string?> Model = Flag<string?>("--model", "Model family: gpt, lstm, gru or rnn", M.Model);
    public readonly Option<int?> NLayer = Flag<int?>("--n-layer", "Transformer blocks or recurrent layers", M.NLayer);
    public readonly Option<int?> NHead = Flag<int?>("--n-head", "Attention heads (gpt; must divide --n-embd)", M.NHead);
    public readonly Option<int?> NEmbd = Flag<int?>("--n-embd", "Embedding / hidden width", M.NEmbd);
    public readonly Option<int?> BlockSize = Flag<int?>("--block-size", "Context length in tokens", M.BlockSize);
    public readonly Option<double?> Dropout = Flag<double?>("--dropout", "Dropout probability", M.Dropout);
    public readonly Option<bool?> Bias = Flag<bool?>("--bias", "Biases in Linear and LayerNorm layers", M.Bias);
    public readonly Option<int?> BatchSize = Flag<int?>("--batch-size", "Micro-batch of ONE worker, in sequences", T.BatchSize);
    public readonly Option<int?> GradAccum = Flag<int?>("--grad-accum", "Micro-batches accumulated per step; global batch = workers x batch size x this", T.GradAccumSteps);
    public readonly Option<double?> Lr = Flag<double?>("--lr", "Peak learning rate", T.LearningRate);
    public readonly Option<double?> MinLr = Flag<double?>("--min-lr", "Learning rate at the end of the decay", T.MinLr);
    public readonly Option<int?> WarmupSteps = Flag<int?>("--warmup-steps", "Linear warm-up steps", "min(100, max_steps / 10)");
    public readonly Option<string?> LrSchedule = Flag<string?>("--lr-schedule", "cosine, linear or constant", T.LrSchedule);
    public readonly Option<int?> MaxSteps = Flag<int?>("--max-steps", "Optimizer steps to train", T.MaxSteps);
    public readonly Option<double?> WeightDecay = Flag<double?>("--weight-decay", "AdamW weight decay (2-D weights only)", T.WeightDecay);
    public readonly Option<double?> Beta1 = Flag<double?>("--beta1", "AdamW beta1", T.Beta1);
    public readonly Option<double?> Beta2 = Flag<double?>("--beta2", "AdamW beta2", T.Beta2);
    public readonly Option<double?> GradClip = Flag<double?>("--grad-clip", "Clip the global gradient norm to this (0 = off)", T.GradClip);
    public readonly Option<int?> EvalInterval = Flag<int?>("--eval-interval", "Evaluate on val every N steps (0 = only at the end)", T.EvalInterval);
    public readonly Option<int?> EvalBatches = Flag<int?>("--eval-batches", "Batches per evaluation", T.EvalBatches);
    public readonly Option<int?> CheckpointInterval = Flag<int?>("--checkpoint-interval", "Checkpoint every N steps (0 = only final and best)", T.CheckpointInterval);
    public readonly Option<int?> KeepCheckpoints = Flag<int?>("--keep-checkpoints", "Recent checkpoints kept besides the best (0 = all)", T.KeepLastCheckpoints);
    public readonly Option<int?> LogInterval = Flag<int?>("--log-interval", "Progress line and metrics.jsonl row every N steps", T.LogInterval);
    public readonly Option<long?> Seed = Flag<long?>("--seed", "Seed for initialisation, data order and dropout", T.Seed);
    public readonly Option<int?> Threads = Flag<int?>("--threads", "libtorch threads per process (0 = all cores)", T.Threads);
    public readonly Option<string?> Device = Flag<string?>("--device", "cpu, cuda or cuda:N", T.Device);
    public readonly Option<bool?> Overlap = Flag<bool?>("--overlap", "Overlap gradient all-reduce with backward", T.OverlapCommunication);
    public readonly Option<string?> GradientCompression = Flag<string?>("--grad-compression", "Gradients on the wire between workers: none, bf16, powersgd or auto (measured on the job's links)", T.GradientCompression);
    public readonly Option<int?> PowerSgdRank = new("--powersgd-rank") { Description = "Rank of PowerSGD's low-rank factors (default 4)" };
    public readonly Option<int?> PowerSgdStartStep = new("--powersgd-start-step") { Description = "First step that sends PowerSGD factors (default 10% of --max-steps; whole gradients before)" };
    public readonly Option<int?> ReplicaCheckInterval = Flag<int?>("--replica-check-interval", "Compare a parameter checksum across workers every N steps (0 = never)", T.ReplicaCheckInterval);

    /// <summary>Each flag with the config.json key it sets (model keys and training keys share one namespace).</summary>
    private IEnumerable<(Option Option, string Key)> Keyed =>
    [
        (Model, "model"), (NLayer, "n_layer"), (NHead, "n_head"), (NEmbd, "n_embd"), (BlockSize, "block_size"),
        (Dropout, "dropout"), (Bias, "bias"), (BatchSize, "batch_size"), (GradAccum, "grad_accum_steps"),
        (Lr, "learning_rate"), (MinLr, "min_lr"), (WarmupSteps, "warmup_steps"), (LrSchedule, "lr_schedule"),
        (MaxSteps, "max_steps"), (WeightDecay, "weight_decay"), (Beta1, "beta1"), (Beta2, "beta2"), (GradClip, "grad_clip"),
        (EvalInterval, "eval_interval"), (EvalBatches, "eval_batches"), (CheckpointInterval, "checkpoint_interval"),
        (KeepCheckpoints, "keep_last_checkpoints"), (LogInterval, "log_interval"), (Seed, "seed"), (Threads, "threads"),
        (Device, "device"), (Overlap, "overlap_communication"), (GradientCompression, "gradient_compression"),
        (PowerSgdRank, "powersgd_rank"), (PowerSgdStartStep, "powersgd_start_step"), (ReplicaCheckInterval, "replica_check_interval"),
    ];

    public readonly FineTuningFlags FineTuning = new();

    public IEnumerable<Option> All => [.. FineTuning.All, Config, .. Keyed.Select(k => k.Option)];

    /// <summary>The flag that sets config key <paramref name="key"/>, if there is one.</summary>
    public string? FlagFor(string key) => Keyed.Where(k => k.Key == key).Select(k => k.Option.Name).FirstOrDefault();

    /// <summary>
    /// <paramref name="e"/> with the flag of its option named first, so "training option warmup_steps = 100 is
    /// invalid" tells a user of the CLI which flag to change.
    /// </summary>
    public Exception NameFlag(InvalidRunConfigException e) =>
        e.Option is { } key && FlagFor(key) is { } flag ? new InvalidRunConfigException($"{flag}: {e.Message}", key) : e;

    /// <summary>
    /// <paramref name="fallback"/> (defaults, or a resumed run's saved configuration), replaced by <c>--config</c> when
    /// given, then the flags. The vocabulary size comes from the data, or with <c>--init-from</c> from the pretrained
    /// model, which also fixes the architecture (see <see cref="FineTuningFlags"/>). A warm-up nobody chose adapts to
    /// the run's length (see <see cref="AdaptiveWarmup"/>); one given by a flag, the config file, the resumed run or the
    /// fine-tuning defaults is kept.
    /// </summary>
    public RunConfig Resolve(ParseResult parse, int vocabSize, RunConfig? fallback = null)
    {
        var file = parse.GetValue(Config);
        var pretrained = FineTuning.OpenBase(parse, resuming: fallback is not null);
        var lora = FineTuning.Lora(parse, (file is null ? fallback : null)?.Model.Lora);
        var defaults = pretrained is null ? new RunConfig() : new RunConfig { Training = FineTuningDefaults.For(lora is not null) };
        var baseConfig = file is null ? fallback ?? defaults : RunConfig.Load(file.FullName);
        if (file is not null) lora = FineTuning.Lora(parse, baseConfig.Model.Lora);
        var warmupChosen = parse.GetValue(WarmupSteps) is not null || pretrained is not null
                           || (file is null ? fallback is not null : AdaptiveWarmup.IsSetIn(File.ReadAllText(file.FullName)));
        var m = baseConfig.Model;
        var t = baseConfig.Training;
        var resolved = Resolve(parse, vocabSize, m with { Lora = lora }, t, fineTuning: baseConfig.InitFrom is not null) with { InitFrom = baseConfig.InitFrom };
        if (!warmupChosen) resolved = AdaptiveWarmup.Apply(resolved);
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

    /// <summary>An optional flag whose help names the default the run gets when neither it nor <c>--config</c> sets it.</summary>
    private static Option<T> Flag<T>(string name, string description, object defaultValue)
    {
        var shown = defaultValue switch
        {
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => defaultValue.ToString(),
        };
        var option = new Option<T>(name) { Description = $"{description} [default: {shown}]" };
        if (typeof(T) == typeof(bool?)) option.HelpName = "true|false";
        return option;
    }
}
