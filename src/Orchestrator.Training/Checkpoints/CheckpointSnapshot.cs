namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// Everything one checkpoint holds, copied off the training path: weights and AdamW moments as bytes in managed
/// memory, plus the optimizer scalars, trainer state (RNG state included) and config. <see cref="Capture"/> is the
/// only part of checkpointing that must run on the training thread between two steps; it makes the checkpoint at
/// step s hold exactly the step-s model however long the files then take to write.
/// </summary>
public sealed class CheckpointSnapshot
{
    private CheckpointSnapshot(IReadOnlyList<TensorBytes> weights, IReadOnlyList<TensorBytes> moments, OptimizerStateFile optimizer,
        TrainerState state, RunConfig config, string tokenizerDirectory, IReadOnlyList<TensorBytes>? compressor)
    {
        (Weights, Moments, Optimizer, State, Config, TokenizerDirectory, Compressor) = (weights, moments, optimizer, state, config, tokenizerDirectory, compressor);
    }

    /// <summary>The model's state_dict in its own order, only the adapters for LoRA (<c>model.safetensors</c>).</summary>
    public IReadOnlyList<TensorBytes> Weights { get; }

    /// <summary>AdamW's <c>{parameter}.exp_avg</c> / <c>.exp_avg_sq</c> (<c>optimizer.safetensors</c>).</summary>
    public IReadOnlyList<TensorBytes> Moments { get; }

    /// <summary>PowerSGD's Q's and every rank's errors (<c>compressor.safetensors</c>), or null.</summary>
    public IReadOnlyList<TensorBytes>? Compressor { get; }

    public OptimizerStateFile Optimizer { get; }
    public TrainerState State { get; }
    public RunConfig Config { get; }

    /// <summary>Where the tokenizer files are copied from when the checkpoint is written (prepared data does not change).</summary>
    public string TokenizerDirectory { get; }

    public long Step => State.Step;

    /// <summary>Bytes of tensor data held in memory until the snapshot is written.</summary>
    public long TensorBytesHeld => Weights.Sum(t => (long)t.Data.Length) + Moments.Sum(t => (long)t.Data.Length);

    /// <summary>
    /// Copies <paramref name="content"/>'s model and optimizer; call it on the thread that trains them, between steps.
    /// With <paramref name="reuse"/>, a snapshot whose write has finished, its buffers are filled again instead of
    /// allocating new ones; it must not be used afterwards.
    /// </summary>
    public static CheckpointSnapshot Capture(CheckpointContent content, CheckpointSnapshot? reuse = null)
    {
        var buffers = reuse is null
            ? []
            : reuse.Weights.Select(t => ("w:" + t.Name, t.Data)).Concat(reuse.Moments.Select(t => ("m:" + t.Name, t.Data))).ToDictionary();
        var weights = Checkpoint.SavedWeights(content.Model)
            .Select(kv => TensorBytes.Copy(kv.Key, kv.Value, buffers.GetValueOrDefault("w:" + kv.Key))).ToArray();
        TensorBytes[] moments;
        using (TorchSharp.torch.NewDisposeScope())
            moments = content.Optimizer.MomentsToCpu()
                .Select(kv => TensorBytes.Copy(kv.Key, kv.Value, buffers.GetValueOrDefault("m:" + kv.Key))).ToArray();
        var optimizer = new OptimizerStateFile
        {
            StepCount = content.Optimizer.StepCount,
            Beta1 = content.Config.Training.Beta1,
            Beta2 = content.Config.Training.Beta2,
            Eps = content.Config.Training.Eps,
            WeightDecay = content.Config.Training.WeightDecay,
            DecayedParameters = content.Optimizer.DecayedParameterNames.ToArray(),
        };
        return new CheckpointSnapshot(weights, moments, optimizer, content.State, content.Config, content.TokenizerDirectory, content.Compressor);
    }
}
