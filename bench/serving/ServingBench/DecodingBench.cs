using System.Diagnostics;
using System.Runtime.InteropServices;
using Orchestrator.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ServingBench;

/// <summary>One row of the decoding table: wall seconds per generated token at a given context length, three ways, and the process CPU seconds of the first two.</summary>
internal sealed record DecodingRow(int Context, double FullSeconds, double KvSeconds, double SlotSeconds, double FullCpuSeconds, double KvCpuSeconds);

/// <summary>
/// The cost of producing one token when the context already holds <c>C</c> tokens: recomputing the whole context
/// (<c>forward</c> on C tokens, what a decoder without a cache does every token), one step through a KV cache
/// (<see cref="LanguageModel.ForwardIncremental"/>, what TextGenerator does) and one step through the server's slotted
/// cache (<see cref="LanguageModel.ForwardSlots"/> with a batch of one). Prefills are not timed; medians of repeats.
/// </summary>
internal static class DecodingBench
{
    public static DecodingRow Measure(LanguageModel model, Device device, long[] prompt, int context, int repeats)
    {
        var ids = prompt[..context];
        var full = Median(repeats, () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = tensor(ids, [1, context], device: device);
            return Time(() => model.forward(input)[0, -1].argmax().item<long>());
        });
        var fullCpu = Median(repeats, () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = tensor(ids, [1, context], device: device);
            return CpuTime(() => model.forward(input)[0, -1].argmax().item<long>());
        });
        var kv = Median(repeats * 4, () =>
        {
            using var scope = NewDisposeScope();
            using var state = model.CreateDecodingState(1, device);
            model.ForwardIncremental(tensor(ids[..^1], [1, context - 1], device: device), state);
            var last = tensor(ids[^1..], [1, 1], device: device);
            return Time(() => model.ForwardIncremental(last, state)[0, -1].argmax().item<long>());
        });
        var kvCpu = Median(repeats * 4, () =>
        {
            using var scope = NewDisposeScope();
            using var state = model.CreateDecodingState(1, device);
            model.ForwardIncremental(tensor(ids[..^1], [1, context - 1], device: device), state);
            var last = tensor(ids[^1..], [1, 1], device: device);
            return CpuTime(() => model.ForwardIncremental(last, state)[0, -1].argmax().item<long>());
        });
        var slots = Median(repeats * 4, () =>
        {
            using var scope = NewDisposeScope();
            using var state = model.CreateDecodingSlots(8, device);
            model.ForwardSlots(tensor(ids[..^1], [1, context - 1], device: device), [context - 1], [0], state);
            var last = tensor(ids[^1..], [1, 1], device: device);
            return Time(() => model.ForwardSlots(last, [1], [0], state)[0, -1].argmax().item<long>());
        });
        return new DecodingRow(context, full, kv, slots, fullCpu, kvCpu);
    }

    /// <summary>
    /// Process CPU seconds of one decode step through the server's slotted cache for <paramref name="batch"/> sequences
    /// that each hold <paramref name="context"/> tokens: what a step of the decoding loop costs before sampling.
    /// </summary>
    public static double MeasureBatchStep(LanguageModel model, Device device, long[] prompt, int context, int batch, int repeats) =>
        Median(repeats, () =>
        {
            using var scope = NewDisposeScope();
            using var state = model.CreateDecodingSlots(batch, device);
            var slots = Enumerable.Range(0, batch).ToArray();
            var prefill = Enumerable.Range(0, batch).SelectMany(_ => prompt[..(context - 1)]).ToArray();
            model.ForwardSlots(tensor(prefill, [batch, context - 1], device: device), Enumerable.Repeat(context - 1, batch).ToArray(), slots, state);
            var next = tensor(Enumerable.Repeat(prompt[context - 1], batch).ToArray(), [batch, 1], device: device);
            var ones = Enumerable.Repeat(1, batch).ToArray();
            return CpuTime(() => model.ForwardSlots(next, ones, slots, state).argmax(-1).sum().item<long>());
        });

    private static double Time(Func<long> step)
    {
        var started = Stopwatch.GetTimestamp();
        step();
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>
    /// Process CPU seconds (all threads) of one step, from <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c> (nanosecond
    /// resolution, unlike <c>Process.TotalProcessorTime</c>'s 10 ms ticks): unlike wall time it barely depends on other processes' load.
    /// </summary>
    private static double CpuTime(Func<long> step)
    {
        var before = ProcessCpuSeconds();
        step();
        return ProcessCpuSeconds() - before;
    }

    private const int ClockProcessCpuTime = 2;

    private static double ProcessCpuSeconds()
    {
        if (ClockGetTime(ClockProcessCpuTime, out var time) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static double Median(int repeats, Func<double> sample)
    {
        sample(); // warm-up: first calls pay for lazy initialisation and tiered JIT
        var samples = Enumerable.Range(0, repeats).Select(_ => sample()).Order().ToArray();
        return samples[samples.Length / 2];
    }
}
