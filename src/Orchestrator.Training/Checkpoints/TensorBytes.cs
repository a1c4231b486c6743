using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// One tensor copied into managed memory: what a checkpoint holds of a weight or an optimizer moment once it has been
/// taken off the training path. Training goes on changing the tensor; these bytes stay as they were at the copy.
/// </summary>
public sealed record TensorBytes
{
    public TensorBytes(string name, ScalarType dtype, long[] shape, byte[] data)
    {
        var elements = shape.Aggregate(1L, (product, size) => product * size);
        if (elements * ElementSize(dtype, name) != data.Length)
            throw new ArgumentException($"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtype} needs {elements * ElementSize(dtype, name)} bytes, not {data.Length}", nameof(data));
        (Name, DType, Shape, Data) = (name, dtype, shape, data);
    }

    public string Name { get; }
    public ScalarType DType { get; }
    public long[] Shape { get; }
    public byte[] Data { get; }

    /// <summary>
    /// Copies <paramref name="tensor"/> (any device, any layout) into managed memory: into <paramref name="reuse"/>
    /// when it has the right length (no allocation, no page faults), else into a new array. Temporaries live in a
    /// dispose scope of the calling thread, so the copy leaves no tensor behind.
    /// </summary>
    public static TensorBytes Copy(string name, Tensor tensor, byte[]? reuse = null)
    {
        using var scope = NewDisposeScope();
        var host = tensor.device_type == DeviceType.CPU ? tensor : tensor.detach().cpu();
        if (!host.is_contiguous()) host = host.contiguous();
        var source = host.bytes;
        var data = reuse?.Length == source.Length ? reuse : GC.AllocateUninitializedArray<byte>(source.Length);
        source.CopyTo(data);
        return new TensorBytes(name, tensor.dtype, tensor.shape, data);
    }

    private static long ElementSize(ScalarType dtype, string name) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"tensor '{name}' has dtype {dtype}, which a checkpoint cannot hold (safetensors types only)"),
    };
}
