namespace Orchestrator.Training.Batching;

/// <summary>
/// Where each training sequence comes from. Data position <c>p</c> (the step, unless a rollback skipped bad batches)
/// draws a global batch of <c>G</c> windows whose start offsets depend only on (seed, p, sample index); rank <c>r</c>
/// of <c>n</c> takes the contiguous slice <c>[⌊rG/n⌋, ⌊(r+1)G/n⌋)</c> and feeds it in as few micro-batches of at most
/// <c>batch_size</c> as it takes, sized as evenly as possible. Hence any number of workers sees exactly the sequences one
/// worker sees, and a resumed run sees what the uninterrupted one did. <see cref="LossDivisor"/> makes the average over
/// ranks of the accumulated gradients the mean over the <c>G</c> sequences, also when <c>n</c> does not divide <c>G</c>.
/// </summary>
public sealed class BatchPlan
{
    private const ulong TrainStream = 0x7472_6169_6E00_0001UL;

    private readonly ulong _seed;
    private readonly long _startRange;
    private readonly long _firstSample;
    private readonly int _localSamples;

    /// <summary>
    /// A plan over a training split of <paramref name="tokenCount"/> tokens; each window holds <c>blockSize + 1</c>
    /// tokens (inputs and shifted targets). <paramref name="globalBatchSize"/> is the number of sequences per step over
    /// all <paramref name="worldSize"/> ranks (see <see cref="TrainingOptions.EffectiveGlobalBatchSize"/>).
    /// </summary>
    public BatchPlan(long tokenCount, int blockSize, long seed, int worldSize, int rank, int batchSize, long globalBatchSize)
    {
        if (tokenCount < blockSize + 1)
            throw new InvalidRunConfigException($"the training split holds {tokenCount} tokens but block_size {blockSize} needs at least {blockSize + 1}: lower block_size or prepare more data");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize})");
        if (batchSize <= 0)
            throw new InvalidRunConfigException($"training option batch_size = {batchSize} is invalid: must be positive");
        if (globalBatchSize < worldSize)
            throw new InvalidRunConfigException(
                $"training option global_batch_size = {globalBatchSize} is smaller than the {worldSize} workers: every worker needs at least one sequence per step; set global_batch_size to at least {worldSize} or train on fewer workers");
        _seed = unchecked((ulong)seed);
        _startRange = tokenCount - blockSize;
        (BlockSize, WorldSize, Rank, BatchSize, GlobalBatchSize) = (blockSize, worldSize, rank, batchSize, globalBatchSize);
        _firstSample = rank * globalBatchSize / worldSize;
        var local = (rank + 1) * globalBatchSize / worldSize - _firstSample;
        if (local > int.MaxValue / 2)
            throw new InvalidRunConfigException($"training option global_batch_size = {globalBatchSize} gives one worker {local} sequences per step: use a smaller global batch");
        _localSamples = (int)local;
        GradAccumSteps = (_localSamples + batchSize - 1) / batchSize;
    }

    public int BlockSize { get; }
    public int WorldSize { get; }
    public int Rank { get; }
    public int BatchSize { get; }

    /// <summary>Micro-batches this rank feeds per step: ⌈its share of the global batch / batch_size⌉.</summary>
    public int GradAccumSteps { get; }

    /// <summary>Sequences per optimizer step over all workers.</summary>
    public long GlobalBatchSize { get; }

    /// <summary>Tokens predicted per optimizer step over all workers.</summary>
    public long TokensPerStep => GlobalBatchSize * BlockSize;

    /// <summary>Start offset of sample <paramref name="sampleIndex"/> of the global batch at data position <paramref name="position"/>; in [0, tokens − block_size − 1].</summary>
    public long WindowStart(long position, long sampleIndex) =>
        CounterHash.Below(CounterHash.Hash(_seed, TrainStream, (ulong)position, (ulong)sampleIndex), _startRange);

    /// <summary>Index in the global batch of this rank's first sample of micro-batch <paramref name="microStep"/>.</summary>
    public long FirstSampleOf(int microStep) => _firstSample + Offset(microStep);

    /// <summary>Sequences in micro-batch <paramref name="microStep"/> of this rank (at most batch_size, at least one).</summary>
    public int MicroBatchSize(int microStep) => (int)(Offset(microStep + 1) - Offset(microStep));

    /// <summary>
    /// The factor on micro-batch <paramref name="microStep"/>'s mean loss: its share of the global batch times the world
    /// size (the synchronizer divides the sum over ranks by it), so the averaged gradient is the mean over all sequences.
    /// Returned as a divisor, <c>G / (size · n)</c>, which is exactly <c>grad_accum_steps</c> when the batch splits evenly.
    /// </summary>
    public double LossDivisor(int microStep) => (double)GlobalBatchSize / ((long)MicroBatchSize(microStep) * WorldSize);

    /// <summary>
    /// Fills the first <see cref="MicroBatchSize"/> entries of <paramref name="starts"/> (at least batch_size long)
    /// with the window starts of this rank's micro-batch <paramref name="microStep"/> at data position
    /// <paramref name="position"/>, and returns how many it filled.
    /// </summary>
    public int MicroBatchStarts(long position, int microStep, Span<long> starts)
    {
        var first = FirstSampleOf(microStep);
        var count = MicroBatchSize(microStep);
        for (var i = 0; i < count; i++) starts[i] = WindowStart(position, first + i);
        return count;
    }

    private long Offset(int microStep)
    {
        if (microStep < 0 || microStep > GradAccumSteps)
            throw new ArgumentOutOfRangeException(nameof(microStep), microStep, $"this rank feeds {GradAccumSteps} micro-batches per step");
        return (long)microStep * _localSamples / GradAccumSteps;
    }
}
