namespace Orchestrator.Training.Batching;

/// <summary>
/// Where each training sequence comes from. Step <c>s</c> draws a global batch of
/// <c>world_size × batch_size × grad_accum_steps</c> windows whose start offsets depend only on (seed, s, sample index);
/// rank <c>r</c> takes the contiguous slice <c>[r·B·A, (r+1)·B·A)</c> and feeds it as <c>A</c> micro-batches of <c>B</c>.
/// Hence N workers × B see exactly the sequences 1 worker × N·B sees, and a resumed run sees what the uninterrupted one did.
/// </summary>
public sealed class BatchPlan
{
    private const ulong TrainStream = 0x7472_6169_6E00_0001UL;

    private readonly ulong _seed;
    private readonly long _startRange;

    /// <summary>A plan over a training split of <paramref name="tokenCount"/> tokens; each window holds <c>blockSize + 1</c> tokens (inputs and shifted targets).</summary>
    public BatchPlan(long tokenCount, int blockSize, long seed, int worldSize, int rank, int batchSize, int gradAccumSteps)
    {
        if (tokenCount < blockSize + 1)
            throw new InvalidRunConfigException($"the training split holds {tokenCount} tokens but block_size {blockSize} needs at least {blockSize + 1}: lower block_size or prepare more data");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize})");
        _seed = unchecked((ulong)seed);
        _startRange = tokenCount - blockSize;
        (BlockSize, WorldSize, Rank, BatchSize, GradAccumSteps) = (blockSize, worldSize, rank, batchSize, gradAccumSteps);
    }

    public int BlockSize { get; }
    public int WorldSize { get; }
    public int Rank { get; }
    public int BatchSize { get; }
    public int GradAccumSteps { get; }

    /// <summary>Sequences per optimizer step over all workers.</summary>
    public long GlobalBatchSize => (long)WorldSize * BatchSize * GradAccumSteps;

    /// <summary>Tokens predicted per optimizer step over all workers.</summary>
    public long TokensPerStep => GlobalBatchSize * BlockSize;

    /// <summary>Start offset of sample <paramref name="sampleIndex"/> of the global batch of step <paramref name="step"/>; in [0, tokens − block_size − 1].</summary>
    public long WindowStart(long step, long sampleIndex) =>
        CounterHash.Below(CounterHash.Hash(_seed, TrainStream, (ulong)step, (ulong)sampleIndex), _startRange);

    /// <summary>Index in the global batch of this rank's first sample of micro-batch <paramref name="microStep"/>.</summary>
    public long FirstSampleOf(int microStep) => ((long)Rank * GradAccumSteps + microStep) * BatchSize;

    /// <summary>Fills <paramref name="starts"/> (length batch_size) with the window starts of this rank's micro-batch.</summary>
    public void MicroBatchStarts(long step, int microStep, Span<long> starts)
    {
        var first = FirstSampleOf(microStep);
        for (var i = 0; i < starts.Length; i++) starts[i] = WindowStart(step, first + i);
    }
}
