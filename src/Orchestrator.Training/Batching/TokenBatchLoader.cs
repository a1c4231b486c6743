using System.Runtime.InteropServices;
using Orchestrator.Data.Shards;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Batching;

/// <summary>
/// Copies windows of a memory-mapped token shard into two reused int64 tensors, inputs <c>(B, T)</c> and targets
/// shifted by one. The host tensors are written in place through their native memory (pinned when the model is on
/// CUDA, so the copy to the device is a plain DMA), so a step allocates nothing for its data.
/// </summary>
public sealed class TokenBatchLoader : IDisposable
{
    private readonly TokenShard _shard;
    private readonly Tensor _hostInput, _hostTarget;
    private readonly Tensor? _deviceInput, _deviceTarget;
    private readonly long[] _starts;

    public TokenBatchLoader(TokenShard shard, int batchSize, int blockSize, Device device)
    {
        _shard = shard;
        Device = device;
        BatchSize = batchSize;
        BlockSize = blockSize;
        _starts = new long[batchSize];
        var onCuda = device.type == DeviceType.CUDA;
        _hostInput = NewHostBuffer(batchSize, blockSize, onCuda);
        _hostTarget = NewHostBuffer(batchSize, blockSize, onCuda);
        if (onCuda)
        {
            _deviceInput = empty(new long[] { batchSize, blockSize }, int64, device).DetachFromDisposeScope();
            _deviceTarget = empty(new long[] { batchSize, blockSize }, int64, device).DetachFromDisposeScope();
        }
    }

    public Device Device { get; }
    public int BatchSize { get; }
    public int BlockSize { get; }

    /// <summary>Scratch for the caller to write window starts into before <c>Load</c>.</summary>
    public Span<long> Starts => _starts;

    /// <summary>
    /// Loads the windows whose starts are in <see cref="Starts"/> and returns the input and target tensors. They are
    /// owned by the loader and overwritten by the next call: do not dispose them or keep them across calls.
    /// </summary>
    public (Tensor Input, Tensor Target) Load() => Load(BatchSize);

    /// <summary>
    /// Loads the first <paramref name="count"/> windows of <see cref="Starts"/> (a smaller last micro-batch). Below
    /// batch_size the tensors returned are views of the loader's buffers, owned by the caller's dispose scope.
    /// </summary>
    public (Tensor Input, Tensor Target) Load(int count)
    {
        if (count <= 0 || count > BatchSize)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a micro-batch holds 1 to {BatchSize} windows");
        var input = MemoryMarshal.Cast<byte, long>(_hostInput.bytes);
        var target = MemoryMarshal.Cast<byte, long>(_hostTarget.bytes);
        for (var i = 0; i < count; i++)
        {
            _shard.Read(_starts[i], input.Slice(i * BlockSize, BlockSize));
            _shard.Read(_starts[i] + 1, target.Slice(i * BlockSize, BlockSize));
        }
        var (inputs, targets) = (_hostInput, _hostTarget);
        if (_deviceInput is not null && _deviceTarget is not null)
        {
            _deviceInput.copy_(_hostInput);
            _deviceTarget.copy_(_hostTarget);
            (inputs, targets) = (_deviceInput, _deviceTarget);
        }
        return count == BatchSize ? (inputs, targets) : (inputs.narrow(0, 0, count), targets.narrow(0, 0, count));
    }

    public void Dispose()
    {
        _hostInput.Dispose();
        _hostTarget.Dispose();
        _deviceInput?.Dispose();
        _deviceTarget?.Dispose();
    }

    private static Tensor NewHostBuffer(int batchSize, int blockSize, bool pinned)
    {
        var buffer = zeros(new long[] { batchSize, blockSize }, int64);
        if (pinned)
        {
            var pinnedBuffer = buffer.pin_memory();
            buffer.Dispose();
            buffer = pinnedBuffer;
        }
        return buffer.DetachFromDisposeScope();
    }
}
