using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AllReduceBench;

/// <summary>
/// Launches N worker processes on loopback per world size, hands them the ring, and turns their timings into
/// algorithm bandwidth (bytes / time) and bus bandwidth (algbw × 2(N−1)/N, what each link carries), compared with
/// the single-stream TCP throughput iperf3 measured on the same loopback and with the best one bare gRPC stream of
/// the chunk size reaches (<see cref="StreamCeiling"/>). CPU seconds per GB carried (all processes, per byte that
/// crosses a link) tell the cost of a byte apart from the machine's load, which swings wall-clock numbers here.
/// </summary>
internal static class Coordinator
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = BenchSettings.Parse(args);
        var iperf = ReadIperf(Option(args, "--iperf-json"));
        var markdownPath = Option(args, "--markdown");
        var jsonPath = Option(args, "--json");
        // Across a box's rate-limited links the link is the peer to compare with, not the codec or a loopback stream.
        var codec = settings.Box is null ? CodecCost.Measure(settings.ChunkBytes) : "";
        Console.Error.WriteLine(codec);
        Ceiling? ceiling = settings.Box is null ? await RunCeilingAsync(settings) : null;
        var rows = new List<Row>();
        foreach (var world in settings.WorldSizes)
            rows.AddRange(await RunRingAsync(world, settings));

        var table = codec + Environment.NewLine + Format(rows, iperf, ceiling, settings);
        if (jsonPath is not null)
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(rows.Select(r => new
            {
                hosts = r.World, size_mib = r.Bytes >> 20, iterations = r.Iterations, seconds = r.Seconds,
                algbw_gbps = r.Bytes * 8 / r.Seconds / 1e9, busbw_gbps = r.Bytes * 8 / r.Seconds / 1e9 * 2 * (r.World - 1) / r.World,
                cpu_s_per_gb = r.CpuSeconds / (r.Bytes * 2.0 * (r.World - 1) / 1e9), chunk_bytes = settings.ChunkBytes,
                channels = settings.Channels,
            })));
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
                var cpu = results.Sum(r => double.Parse(r[3], CultureInfo.InvariantCulture));
                rows.Add(new Row(world, bytes, iterations, slowest / iterations, cpu / iterations));
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

    private static async Task<Ceiling> RunCeilingAsync(BenchSettings settings)
    {
        using var server = Launch(["stream-server"]);
        try
        {
            var endpoint = (await ExpectAsync(server, "ENDPOINT"))[0];
            using var client = Launch(["stream-client", endpoint, settings.ChunkBytes.ToString(CultureInfo.InvariantCulture),
                settings.Seconds.ToString(CultureInfo.InvariantCulture)]);
            await ExpectAsync(client, "START");
            var cpu = CpuSeconds(server) + CpuSeconds(client);
            var end = await ExpectAsync(client, "END");
            cpu = CpuSeconds(server) + CpuSeconds(client) - cpu;
            await client.WaitForExitAsync();
            var bytes = double.Parse(end[0], CultureInfo.InvariantCulture);
            var seconds = double.Parse(end[1], CultureInfo.InvariantCulture);
            Console.Error.WriteLine($"bare gRPC stream, {settings.ChunkBytes >> 10} KiB messages: {bytes / seconds / 1e9:F3} GB/s");
            return new Ceiling(bytes / seconds / 1e9, cpu / (bytes / 1e9));
        }
        finally
        {
            server.StandardInput.Close();
            try
            {
                await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                server.Kill();
            }
        }
    }

    private static double CpuSeconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static Process Launch(int rank, BenchSettings settings)
    {
        if (settings.Box is null)
            return Launch(["worker", rank.ToString(CultureInfo.InvariantCulture), .. settings.ToArgs()]);
        var host = $"h{rank + 1}";
        var address = BoxAddress(settings, host);
        return Launch(["worker", rank.ToString(CultureInfo.InvariantCulture), .. settings.ToArgs(), "--bind", address],
            [settings.BoxScript!, "exec", "--name", settings.Box, host, "--"]);
    }

    private static string BoxAddress(BenchSettings settings, string host)
    {
        using var addr = Process.Start(new ProcessStartInfo(settings.BoxScript!, ["addr", "--name", settings.Box!, host]) { RedirectStandardOutput = true })
                         ?? throw new InvalidOperationException($"Could not run {settings.BoxScript}.");
        var address = addr.StandardOutput.ReadToEnd().Trim();
        addr.WaitForExit();
        return addr.ExitCode == 0 ? address : throw new InvalidOperationException($"{settings.BoxScript} addr {host} failed (is box '{settings.Box}' up with enough hosts?).");
    }

    private static Process Launch(string[] arguments, string[]? prefix = null)
    {
        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable to launch workers with.");
        var start = new ProcessStartInfo
        {
            FileName = prefix is null ? executable : prefix[0],
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Several workers share two cores: idle thread-pool threads spinning for work steal the CPU the transfer
        // needs (measured 25-50% slower rings with the default spin).
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        foreach (var arg in prefix?[1..] ?? [])
            start.ArgumentList.Add(arg);
        if (prefix is not null)
            start.ArgumentList.Add(executable);
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
            start.ArgumentList.Add(typeof(Coordinator).Assembly.Location);
        foreach (var arg in arguments)
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{arguments[0]}'.");
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

    // iperf3's throughput, and its CPU seconds per GB (client + server; iperf3 reports each as % of one core).
    private static Iperf? ReadIperf(string? path)
    {
        if (path is null)
            return null;
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var end = json.RootElement.GetProperty("end");
        var received = end.GetProperty("sum_received");
        var cpu = end.GetProperty("cpu_utilization_percent");
        var cpuSeconds = (cpu.GetProperty("host_total").GetDouble() + cpu.GetProperty("remote_total").GetDouble()) / 100
                         * received.GetProperty("seconds").GetDouble();
        return new Iperf(received.GetProperty("bits_per_second").GetDouble() / 1e9,
            cpuSeconds / (received.GetProperty("bytes").GetDouble() / 1e9));
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Format(List<Row> rows, Iperf? iperf, Ceiling? ceiling, BenchSettings settings)
    {
        string Ratio(double gbPerSecond) => iperf is { } i ? (gbPerSecond * 8 / i.Gbps).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"iperf3 {(settings.Box is null ? "loopback" : "between two hosts of the box")}, one TCP stream: {(iperf is { } g ? $"{g.Gbps:F2} Gbit/s ({g.Gbps / 8:F2} GB/s), {g.CpuSecondsPerGb:F2} CPU s/GB" : "not measured")}; " +
            $"chunk {settings.ChunkBytes >> 10} KiB; {settings.Channels} channel(s) per link; payload {(settings.Bf16 ? "bf16" : "float32")}");
        if (ceiling is not null)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"bare gRPC stream ceiling (one server stream, two processes, {settings.ChunkBytes >> 10} KiB messages): " +
                $"{ceiling.GbPerSecond:F3} GB/s = {Ratio(ceiling.GbPerSecond)} of iperf3, {ceiling.CpuSecondsPerGb:F2} CPU s/GB");
        text.AppendLine();
        text.AppendLine("| workers | size | iterations | time per all-reduce | algbw | busbw | busbw / iperf3 | busbw / bare stream | CPU s per GB carried |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var algbw = row.Bytes / row.Seconds / 1e9;
            var busbw = algbw * 2 * (row.World - 1) / row.World;
            // Every one of the N links carries busbw bytes per all-reduce-second.
            var cpuPerGb = row.CpuSeconds / (row.Bytes * 2.0 * (row.World - 1) / 1e9);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.World} | {row.Bytes >> 20} MiB | {row.Iterations} | {row.Seconds * 1e3:F1} ms | {algbw:F3} GB/s | {busbw:F3} GB/s | " +
                $"{Ratio(busbw)} | {(ceiling is null ? "n/a" : (busbw / ceiling.GbPerSecond).ToString("F2", CultureInfo.InvariantCulture))} | {cpuPerGb:F2} |");
        }

        return text.ToString();
    }

    private sealed record Row(int World, long Bytes, int Iterations, double Seconds, double CpuSeconds);

    private sealed record Iperf(double Gbps, double CpuSecondsPerGb);

    private sealed record Ceiling(double GbPerSecond, double CpuSecondsPerGb);
}
