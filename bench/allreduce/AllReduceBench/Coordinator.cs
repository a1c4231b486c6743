using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AllReduceBench;

/// <summary>
/// Launches N worker processes on loopback per world size, hands them the ring, and turns their timings into
/// algorithm bandwidth (bytes / time) and bus bandwidth (algbw × 2(N−1)/N, what each link carries), compared with
/// the single-stream TCP throughput iperf3 measured on the same loopback.
/// </summary>
internal static class Coordinator
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = BenchSettings.Parse(args);
        var iperfGbps = ReadIperf(Option(args, "--iperf-json"));
        var markdownPath = Option(args, "--markdown");
        var rows = new List<Row>();
        foreach (var world in settings.WorldSizes)
            rows.AddRange(await RunRingAsync(world, settings));

        var table = Format(rows, iperfGbps, settings);
        Console.WriteLine(table);
        if (markdownPath is not null)
            await File.WriteAllTextAsync(markdownPath, table);
        return 0;
    }

    private static async Task<List<Row>> RunRingAsync(int world, BenchSettings settings)
    {
        var workers = Enumerable.Range(0, world).Select(rank => Launch(rank, settings)).ToArray();
        try
        {
            var endpoints = new string[world];
            for (var rank = 0; rank < world; rank++)
                endpoints[rank] = (await ExpectAsync(workers[rank], "ENDPOINT"))[0];
            foreach (var worker in workers)
                await worker.StandardInput.WriteLineAsync("PEERS " + string.Join(' ', endpoints));

            var rows = new List<Row>();
            foreach (var _ in settings.SizesMiB)
            {
                var results = await Task.WhenAll(workers.Select(w => ExpectAsync(w, "RESULT")));
                var bytes = long.Parse(results[0][0], CultureInfo.InvariantCulture);
                var iterations = int.Parse(results[0][1], CultureInfo.InvariantCulture);
                var slowest = results.Max(r => double.Parse(r[2], CultureInfo.InvariantCulture));
                rows.Add(new Row(world, bytes, iterations, slowest / iterations));
                Console.Error.WriteLine($"world {world}, {bytes >> 20} MiB: {slowest / iterations * 1e3:F1} ms per all-reduce");
            }

            foreach (var worker in workers)
                await ExpectAsync(worker, "DONE");
            return rows;
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                    worker.Kill();
                await worker.WaitForExitAsync();
                worker.Dispose();
            }
        }
    }

    private static Process Launch(int rank, BenchSettings settings)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable to launch workers with."),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Several workers share two cores: idle thread-pool threads spinning for work steal the CPU the transfer
        // needs (measured 25-50% slower rings with the default spin).
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            start.ArgumentList.Add(typeof(Coordinator).Assembly.Location);
        start.ArgumentList.Add("worker");
        start.ArgumentList.Add(rank.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in settings.ToArgs())
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start worker {rank}.");
    }

    private static async Task<string[]> ExpectAsync(Process worker, string tag)
    {
        while (true)
        {
            var line = await worker.StandardOutput.ReadLineAsync()
                       ?? throw new InvalidOperationException($"A worker exited (code {(worker.HasExited ? worker.ExitCode : -1)}) before printing {tag}.");
            if (line.StartsWith(tag, StringComparison.Ordinal))
                return line[tag.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    private static double? ReadIperf(string? path)
    {
        if (path is null)
            return null;
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Format(List<Row> rows, double? iperfGbps, BenchSettings settings)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"iperf3 loopback, one TCP stream: {(iperfGbps is { } g ? $"{g:F2} Gbit/s ({g / 8:F2} GB/s)" : "not measured")}; " +
            $"chunk {settings.ChunkBytes >> 10} KiB; payload {(settings.Bf16 ? "bf16" : "float32")}");
        text.AppendLine();
        text.AppendLine("| workers | size | iterations | time per all-reduce | algbw | busbw | busbw / iperf3 |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var algbw = row.Bytes / row.Seconds / 1e9;
            var busbw = algbw * 2 * (row.World - 1) / row.World;
            var ratio = iperfGbps is { } gbps ? (busbw * 8 / gbps).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.World} | {row.Bytes >> 20} MiB | {row.Iterations} | {row.Seconds * 1e3:F1} ms | {algbw:F3} GB/s | {busbw:F3} GB/s | {ratio} |");
        }

        return text.ToString();
    }

    private sealed record Row(int World, long Bytes, int Iterations, double Seconds);
}
