using System.Globalization;

namespace ServingBench;

/// <summary>Command-line settings; every number in the results table is traceable to one of these.</summary>
internal sealed record BenchSettings
{
    public string? Checkpoint { get; init; }
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; }
    public int[] Contexts { get; init; } = [64, 256];
    public int Repeats { get; init; } = 5;
    public int Clients { get; init; } = 8;
    public int MaxTokens { get; init; } = 128;
    public int Rounds { get; init; } = 3;
    public string? Markdown { get; init; }

    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            settings = args[i] switch
            {
                "--checkpoint" => settings with { Checkpoint = Next() },
                "--device" => settings with { Device = Next() },
                "--threads" => settings with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--contexts" => settings with { Contexts = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() },
                "--repeats" => settings with { Repeats = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--clients" => settings with { Clients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--max-tokens" => settings with { MaxTokens = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--rounds" => settings with { Rounds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--markdown" => settings with { Markdown = Next() },
                _ => throw new ArgumentException($"unknown argument '{args[i]}' (see bench/serving/run.sh)"),
            };
        }
        return settings;
    }
}
