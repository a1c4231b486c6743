using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

// Usage: MatmulPeak THREADS [N] [REPS]. Prints {"threads":..,"n":..,"gflops":..}: the rate of the fastest of REPS
// (default 40) timed N x N x N float32 matrix products, the highest rate a training step's matmuls could reach with
// these threads. The fastest single product, not an average, because on a shared machine any longer window
// includes time the scheduler gave to other processes.
var threads = args.Length > 0 ? int.Parse(args[0]) : Environment.ProcessorCount;
var n = args.Length > 1 ? int.Parse(args[1]) : 1024;
var reps = args.Length > 2 ? int.Parse(args[2]) : 40;
torch.set_num_threads(threads);
using var a = torch.randn(n, n);
using var b = torch.randn(n, n);
for (var i = 0; i < 3; i++) { using var warm = a.matmul(b); }
var best = double.MaxValue;
for (var i = 0; i < reps; i++)
{
    var sw = Stopwatch.StartNew();
    using var product = a.matmul(b);
    best = Math.Min(best, sw.Elapsed.TotalSeconds);
}
var gflops = 2.0 * n * n * n / best / 1e9;
Console.WriteLine($"{{\"threads\":{threads},\"n\":{n},\"gflops\":{gflops:F2}}}");
