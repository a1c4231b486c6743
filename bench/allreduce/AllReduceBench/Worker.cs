using System.Diagnostics;
using System.Globalization;
using Orchestrator.Collective;
using Orchestrator.Collective.Hosting;

namespace AllReduceBench;

/// <summary>
/// One rank: starts its collective server, tells the coordinator its endpoint, joins the ring it is handed, then
/// for each size checks one all-reduce for correctness and times as many as fit in the time budget.
/// Protocol on stdout: "ENDPOINT uri", then "RESULT bytes iterations seconds cpu-seconds" per size, then "DONE".
/// </summary>
internal static class Worker
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rank = int.Parse(args[0], CultureInfo.InvariantCulture);
        var settings = BenchSettings.Parse(args[1..]);
        // In a box, bind the host's own address: the ring then crosses the box's links.
        var bind = Array.IndexOf(args, "--bind") is var at and >= 0 ? System.Net.IPAddress.Parse(args[at + 1]) : null;
        await using var server = await CollectiveServer.StartAsync(0, bind, configure: o =>
        {
            o.ChunkBytes = settings.ChunkBytes;
            o.ChannelsPerLink = settings.Channels;
            o.CompressBf16 = settings.Bf16;
            o.OperationTimeout = TimeSpan.FromMinutes(5);
        });
        Console.WriteLine($"ENDPOINT {server.Endpoint}");
        var peers = (Console.ReadLine() ?? throw new InvalidOperationException("The coordinator closed stdin before sending PEERS."))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(u => new Uri(u)).ToArray();
        await using var group = await server.Node.JoinAsync(new RingMembership("bench", rank, peers), CancellationToken.None);

        foreach (var mib in settings.SizesMiB)
        {
            var buffer = new float[mib * (1 << 20) / sizeof(float)];
            Array.Fill(buffer, 1f);
            await group.AllReduceAsync(buffer, ReduceOp.Sum, CancellationToken.None);
            if (buffer[0] != group.WorldSize || buffer[^1] != group.WorldSize || buffer[buffer.Length / 2] != group.WorldSize)
                throw new InvalidOperationException($"All-reduce of {mib} MiB gave {buffer[0]}, expected {group.WorldSize}.");

            // Agree on an iteration count from the warm-up time, so every rank runs the same number.
            var probe = Stopwatch.StartNew();
            await group.AllReduceAsync(buffer, ReduceOp.Average, CancellationToken.None);
            var votes = await group.SumAsync([probe.Elapsed.TotalSeconds], CancellationToken.None);
            var iterations = (int)Math.Clamp(settings.Seconds / Math.Max(votes[0] / group.WorldSize, 1e-4), 3, 200);

            using var self = Process.GetCurrentProcess();
            var cpu = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
                await group.AllReduceAsync(buffer, ReduceOp.Average, CancellationToken.None);
            var elapsed = clock.Elapsed.TotalSeconds;
            self.Refresh();
            var cpuSeconds = (self.TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {buffer.Length * 4L} {iterations} {elapsed} {cpuSeconds}"));
            await group.SumAsync([0.0], CancellationToken.None); // barrier before the next size
        }

        Console.WriteLine("DONE");
        return 0;
    }
}
