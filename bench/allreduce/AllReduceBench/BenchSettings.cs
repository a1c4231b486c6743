using System.Globalization;

namespace AllReduceBench;

/// <summary>
/// What to measure; the same flags reach every worker so all ranks run the same schedule. <see cref="Box"/> names a
/// scripts/cluster-in-a-box.sh box (run by <see cref="BoxScript"/>): rank r then runs inside host h(r+1) and binds
/// that host's address, so the ring crosses the box's rate-limited links instead of loopback. <see cref="Channels"/>
/// is each rank's <see cref="Orchestrator.Collective.CollectiveOptions.ChannelsPerLink"/>.
/// </summary>
internal sealed record BenchSettings(int[] WorldSizes, int[] SizesMiB, int ChunkBytes, bool Bf16, double Seconds,
    int Channels, string? Box = null, string? BoxScript = null)
{
    public static BenchSettings Parse(string[] args)
    {
        var defaults = new Orchestrator.Collective.CollectiveOptions();
        var settings = new BenchSettings([2, 4], [1, 4, 16, 64, 256], defaults.ChunkBytes, false, 3.0, defaults.ChannelsPerLink);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--world" => settings with { WorldSizes = Ints(Next()) },
                "--sizes-mib" => settings with { SizesMiB = Ints(Next()) },
                "--chunk-bytes" => settings with { ChunkBytes = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--channels" => settings with { Channels = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--bf16" => settings with { Bf16 = true },
                "--seconds" => settings with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--box" => settings with { Box = Next() },
                "--box-script" => settings with { BoxScript = Next() },
                _ => settings,
            };
        }

        return settings;
    }

    public string[] ToArgs() =>
    [
        "--world", string.Join(',', WorldSizes), "--sizes-mib", string.Join(',', SizesMiB),
        "--chunk-bytes", ChunkBytes.ToString(CultureInfo.InvariantCulture),
        "--channels", Channels.ToString(CultureInfo.InvariantCulture),
        "--seconds", Seconds.ToString(CultureInfo.InvariantCulture),
        .. Box is null ? Array.Empty<string>() : ["--box", Box, "--box-script", BoxScript!],
        .. Bf16 ? new[] { "--bf16" } : [],
    ];

    private static int[] Ints(string list) => list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
