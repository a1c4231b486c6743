using System.CommandLine;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training;
using Orchestrator.Training.Pretrained;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>train --init-from PATH</c> and the LoRA flags. With <c>--init-from</c> the architecture and vocabulary come from
/// PATH (only <c>--dropout</c> and a shorter <c>--block-size</c> may change it), and the training defaults are
/// <see cref="FineTuningDefaults"/> instead of pretraining's.
/// </summary>
internal sealed class FineTuningFlags
{
    public readonly Option<string?> InitFrom = new("--init-from") { Description = "Start from pretrained weights: a Hugging Face GPT-2 directory (config.json + model.safetensors) or one of our checkpoints/run directories [default: none, train from scratch]" };
    public readonly Option<int?> LoraRank = new("--lora-rank") { Description = "Train LoRA adapters of this rank on a frozen --init-from base (default 8 when any --lora-* flag is given)" };
    public readonly Option<double?> LoraAlpha = new("--lora-alpha") { Description = "LoRA scale numerator: adapters add (alpha/rank)·B·A·x (default 16)" };
    public readonly Option<string?> LoraTargets = new("--lora-targets") { Description = "Comma-separated layers to adapt: c_attn, c_proj (attention's), c_fc, mlp.c_proj (default c_attn)" };
    public readonly Option<double?> LoraDropout = new("--lora-dropout") { Description = "Dropout on the Linear adapters' input (default 0)" };
    public readonly Option<int?> LoraEmbeddingRank = new("--lora-embedding-rank") { Description = "Also adapt the tied token embedding and head (wte) with an adapter of this rank, scale alpha/rank; it costs rank x (vocab + n_embd) parameters (default 0: frozen)" };

    public IEnumerable<Option> All => [InitFrom, LoraRank, LoraAlpha, LoraTargets, LoraDropout, LoraEmbeddingRank];

    /// <summary>The pretrained model named by <c>--init-from</c>, or null; refuses it together with a resumed configuration.</summary>
    public PretrainedModel? OpenBase(ParseResult parse, bool resuming)
    {
        if (parse.GetValue(InitFrom) is not { } path) return null;
        if (resuming)
            throw new InvalidRunConfigException("--init-from starts a new run from pretrained weights, --resume continues the run's own checkpoint: drop one of them");
        return PretrainedModel.Open(path);
    }

    /// <summary>The LoRA settings the flags ask for over <paramref name="saved"/> (a config file's or a resumed run's), or <paramref name="saved"/> when no flag is given.</summary>
    public LoraConfig? Lora(ParseResult parse, LoraConfig? saved)
    {
        var rank = parse.GetValue(LoraRank);
        var alpha = parse.GetValue(LoraAlpha);
        var targets = parse.GetValue(LoraTargets);
        var dropout = parse.GetValue(LoraDropout);
        var embeddingRank = parse.GetValue(LoraEmbeddingRank);
        if (rank is null && alpha is null && targets is null && dropout is null && embeddingRank is null) return saved;
        var lora = saved ?? new LoraConfig();
        return lora with
        {
            Rank = rank ?? lora.Rank,
            Alpha = alpha ?? lora.Alpha,
            Targets = targets is null ? lora.Targets : targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Dropout = dropout ?? lora.Dropout,
            EmbeddingRank = embeddingRank ?? lora.EmbeddingRank,
        };
    }

    /// <summary>
    /// The model of a run started from <paramref name="pretrained"/>: its architecture and vocabulary, with the run's
    /// dropout, block size (at most the positions it learned) and adapters. Refuses flags that would change the architecture.
    /// </summary>
    public static ModelConfig ModelFrom(PretrainedModel pretrained, ParseResult parse, RunConfigFlags flags, double dropout, LoraConfig? lora)
    {
        foreach (var option in new Option[] { flags.Model, flags.NLayer, flags.NHead, flags.NEmbd, flags.Bias })
        {
            if (parse.GetResult(option) is { Implicit: false })
                throw new InvalidRunConfigException($"{option.Name} cannot be combined with --init-from: the architecture comes from '{pretrained.Directory}'");
        }
        var blockSize = parse.GetValue(flags.BlockSize) ?? pretrained.Config.BlockSize;
        if (blockSize > pretrained.Config.BlockSize)
            throw new InvalidRunConfigException(
                $"--block-size {blockSize} is longer than the {pretrained.Config.BlockSize} positions '{pretrained.Directory}' learned: use at most {pretrained.Config.BlockSize}");
        return pretrained.Config with { BlockSize = blockSize, Dropout = dropout, Lora = lora };
    }
}

/// <summary>
/// Training defaults for a run that starts from pretrained weights, where they differ from pretraining's: a learning
/// rate ten to a hundred times lower for full fine-tuning (large steps undo what the base learned), a higher one for
/// LoRA adapters (they start at zero and are few), a short warm-up, a constant rate and no weight decay on adapters.
/// Flags and <c>--config</c> override them.
/// </summary>
internal static class FineTuningDefaults
{
    public static TrainingOptions For(bool lora) => new()
    {
        LearningRate = lora ? 1e-3 : 3e-5,
        MinLr = lora ? 1e-4 : 3e-6,
        LrSchedule = "constant",
        WarmupSteps = 10,
        WeightDecay = lora ? 0.0 : 0.1,
    };
}
