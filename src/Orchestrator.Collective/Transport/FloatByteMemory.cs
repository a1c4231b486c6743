using System.Buffers;
using System.Runtime.InteropServices;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Views a run of floats as bytes without copying, so a float32 chunk goes from the caller's buffer straight into
/// the serialiser via <c>UnsafeByteOperations.UnsafeWrap</c>. The caller must not change the floats until the chunk
/// is written; the ring's data dependencies and the final flush guarantee that.
/// </summary>
internal sealed class FloatByteMemory(Memory<float> floats) : MemoryManager<byte>
{
    private readonly Lock _gate = new();
    private MemoryHandle _pinned;
    private int _pins;

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(floats.Span);

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        lock (_gate)
        {
            if (_pins++ == 0)
                _pinned = floats.Pin();
            return new MemoryHandle((byte*)_pinned.Pointer + elementIndex, default, this);
        }
    }

    public override void Unpin()
    {
        lock (_gate)
        {
            if (--_pins == 0)
                _pinned.Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
    }
}
