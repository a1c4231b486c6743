using System.Runtime.InteropServices;
using Orchestrator.Collective;
using Orchestrator.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Worker.Gradients;

/// <summary>
/// Connects the trainer to its peers: each gradient tensor becomes a float buffer that the ring all-reduce averages
/// in place (buckets of about 25 MB, pipelined by <see cref="CollectiveGroup"/>). CPU float32 gradients are reduced
/// directly in libtorch's memory; gradients on a GPU or of another dtype go through a host copy.
/// </summary>
public sealed class CollectiveGradientSynchronizer(CollectiveGroup group) : IGradientSynchronizer
{
    public int Rank => group.Rank;
    public int WorldSize => group.WorldSize;

    public async Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken)
    {
        if (gradients.Count == 0) return;
        var buffers = new Memory<float>[gradients.Count];
        List<(Tensor Gradient, Tensor Host)>? staged = null;
        for (var i = 0; i < gradients.Count; i++)
        {
            var gradient = gradients[i];
            if (gradient.device_type == DeviceType.CPU && gradient.dtype == ScalarType.Float32 && gradient.is_contiguous())
            {
                buffers[i] = View(gradient);
                continue;
            }
            var host = gradient.to(ScalarType.Float32, CPU).contiguous();
            (staged ??= []).Add((gradient, host));
            buffers[i] = View(host);
        }

        try
        {
            await group.AllReduceAsync(buffers, ReduceOp.Average, wire == GradientWire.Bfloat16, cancellationToken);
            if (staged is null) return;
            foreach (var (gradient, host) in staged)
                gradient.copy_(host);
        }
        finally
        {
            if (staged is not null)
                foreach (var (_, host) in staged) host.Dispose();
        }
    }

    public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => group.SumAsync(values, cancellationToken);

    public TimeSpan SendingTime => group.Statistics.SendingTime;

    public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => group.AllGatherAsync(values, cancellationToken);

    private static Memory<float> View(Tensor tensor)
    {
        var bytes = tensor.bytes;
        return new NativeFloatMemory(Address(bytes), checked((int)tensor.numel())).Memory;
    }

    private static unsafe IntPtr Address(Span<byte> bytes)
    {
        fixed (byte* pointer = &MemoryMarshal.GetReference(bytes)) return (IntPtr)pointer;
    }
}
