using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OverlapProbe;

/// <summary>
/// Starts the rank processes on loopback, hands every rank the ring, and prints one JSON line: the settings and each
/// rank's timings. Rank output other than the protocol lines is copied to standard error.
/// </summary>
internal static class Coordinator
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = ProbeSettings.Parse(args);
        Directory.CreateDirectory(settings.RunDir);
        var ranks = Enumerable.Range(0, settings.World).Select(rank => Launch(rank, settings)).ToArray();
        try
        {
            var endpoints = new string[settings.World];
            for (var rank = 0; rank < settings.World; rank++)
                endpoints[rank] = await ExpectAsync(ranks[rank], "ENDPOINT ");
            foreach (var process in ranks)
                await process.StandardInput.WriteLineAsync("PEERS " + string.Join(' ', endpoints));
            var results = await Task.WhenAll(ranks.Select(p => ExpectAsync(p, "RESULT ")));
            var line = new JsonObject
            {
                ["overlap"] = settings.Overlap,
                ["world"] = settings.World,
                ["threads"] = settings.Threads,
                ["batch_size"] = settings.BatchSize,
                ["steps"] = settings.Steps,
                ["skipped"] = settings.Skip,
                ["ranks"] = new JsonArray(results.Select(r => JsonNode.Parse(r)).ToArray()),
            };
            Console.WriteLine(line.ToJsonString());
            foreach (var process in ranks)
                await process.WaitForExitAsync();
            return ranks.Any(p => p.ExitCode != 0) ? 1 : 0;
        }
        finally
        {
            foreach (var process in ranks)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.Dispose();
            }
        }
    }

    private static Process Launch(int rank, ProbeSettings settings)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable to start the ranks with"),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            start.ArgumentList.Add(typeof(Coordinator).Assembly.Location);
        start.ArgumentList.Add("rank");
        start.ArgumentList.Add(rank.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in settings.ToArgs()) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start rank {rank}");
    }

    private static async Task<string> ExpectAsync(Process rank, string tag)
    {
        while (true)
        {
            var line = await rank.StandardOutput.ReadLineAsync()
                       ?? throw new InvalidOperationException($"a rank exited (code {(rank.HasExited ? rank.ExitCode : -1)}) before printing {tag.Trim()}");
            if (line.StartsWith(tag, StringComparison.Ordinal)) return line[tag.Length..];
            await Console.Error.WriteLineAsync(line);
        }
    }
}
