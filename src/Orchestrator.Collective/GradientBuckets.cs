using System.Buffers;

namespace Orchestrator.Collective;

/// <summary>A run of consecutive buffers all-reduced together as one flat operation.</summary>
public sealed record GradientBucket(int FirstBuffer, int BufferCount, int Elements);

/// <summary>
/// Packs a list of buffers (one per parameter, in model order) into flat buckets of about a target size and
/// all-reduces them bucket by bucket. Many small gradients would each pay a ring's latency; one giant buffer would
/// leave nothing to overlap. Buckets run as concurrent operations: while one is on the wire the next is packed, and
/// results are copied back as each bucket completes. A bucket holding a single buffer is reduced in place.
/// The plan depends only on the lengths, so every rank computes the same one.
/// </summary>
public sealed class GradientBuckets
{
    public GradientBuckets(IReadOnlyList<int> lengths, long bucketBytes)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, sizeof(float));
        var copy = lengths.ToArray();
        Lengths = copy;
        Buckets = Plan(copy, bucketBytes / sizeof(float));
    }

    public IReadOnlyList<int> Lengths { get; }

    public IReadOnlyList<GradientBucket> Buckets { get; }

    /// <summary>
    /// All-reduces every buffer in place. Sequence numbers for all buckets are taken at the call, so calls issued
    /// in the same order on every rank pair up even when they overlap.
    /// </summary>
    public Task AllReduceAsync(CollectiveGroup group, IReadOnlyList<Memory<float>> buffers, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceAsync(group, buffers, op, bf16: false, cancellationToken);

    /// <summary>As above, with bf16 on the wire when <paramref name="bf16"/> is set (see <see cref="CollectiveGroup.AllReduceAsync(IReadOnlyList{Memory{float}}, ReduceOp, bool, CancellationToken)"/>).</summary>
    public Task AllReduceAsync(CollectiveGroup group, IReadOnlyList<Memory<float>> buffers, ReduceOp op, bool bf16, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(buffers);
        if (buffers.Count != Lengths.Count)
            throw new ArgumentException($"The bucket plan covers {Lengths.Count} buffers but {buffers.Count} were given.", nameof(buffers));
        for (var i = 0; i < buffers.Count; i++)
        {
            if (buffers[i].Length != Lengths[i])
                throw new ArgumentException($"Buffer {i} holds {buffers[i].Length} floats but the bucket plan expects {Lengths[i]}.", nameof(buffers));
        }

        if (group.WorldSize == 1)
            return group.AllReduceAsync(Memory<float>.Empty, op, cancellationToken); // nothing to exchange; still reports a broken group

        var first = group.ReserveOperations(Buckets.Count);
        var running = new Task[Buckets.Count];
        for (var b = 0; b < Buckets.Count; b++)
        {
            var bucket = Buckets[b];
            var operation = first + (ulong)b;
            running[b] = bucket.BufferCount == 1
                ? group.RunAllReduceAsync(operation, buffers[bucket.FirstBuffer], op, bf16, cancellationToken)
                : Task.Run(() => ReducePackedAsync(group, operation, bucket, buffers, op, bf16, cancellationToken));
        }

        return Task.WhenAll(running);
    }

    private static async Task ReducePackedAsync(CollectiveGroup group, ulong operation, GradientBucket bucket,
        IReadOnlyList<Memory<float>> buffers, ReduceOp op, bool bf16, CancellationToken cancellationToken)
    {
        var flat = ArrayPool<float>.Shared.Rent(bucket.Elements);
        try
        {
            var offset = 0;
            for (var i = bucket.FirstBuffer; i < bucket.FirstBuffer + bucket.BufferCount; i++)
            {
                buffers[i].Span.CopyTo(flat.AsSpan(offset));
                offset += buffers[i].Length;
            }

            await group.RunAllReduceAsync(operation, flat.AsMemory(0, bucket.Elements), op, bf16, cancellationToken).ConfigureAwait(false);
            offset = 0;
            for (var i = bucket.FirstBuffer; i < bucket.FirstBuffer + bucket.BufferCount; i++)
            {
                flat.AsSpan(offset, buffers[i].Length).CopyTo(buffers[i].Span);
                offset += buffers[i].Length;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(flat);
        }
    }

    private static GradientBucket[] Plan(int[] lengths, long bucketElements)
    {
        var buckets = new List<GradientBucket>();
        int start = 0;
        long elements = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[i], $"Buffer {i} has a negative length.");
            if (i > start && elements + lengths[i] > bucketElements)
            {
                buckets.Add(new GradientBucket(start, i - start, checked((int)elements)));
                start = i;
                elements = 0;
            }

            elements += lengths[i];
        }

        if (lengths.Length > start)
            buckets.Add(new GradientBucket(start, lengths.Length - start, checked((int)elements)));
        return buckets.ToArray();
    }
}
