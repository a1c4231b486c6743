using System.Buffers;

namespace Orchestrator.Worker.Gradients;

/// <summary>
/// A <see cref="Memory{T}"/> over float32 values that live in libtorch's native memory, so the collective layer can
/// reduce a CPU gradient in place instead of copying it out and back. The tensor must stay alive (and must not be
/// resized) while the memory is in use; the trainer guarantees that by awaiting the exchange before the step ends.
/// </summary>
internal sealed unsafe class NativeFloatMemory(IntPtr address, int length) : MemoryManager<float>
{
    public override Span<float> GetSpan() => new((void*)address, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new((float*)address + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
