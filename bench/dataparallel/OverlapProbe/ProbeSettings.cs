using System.Globalization;

namespace OverlapProbe;

/// <summary>The probe's flags, passed unchanged from the coordinator to every rank.</summary>
internal sealed record ProbeSettings(string DataDir, string RunDir, int Steps, int Skip, bool Overlap, int World, int Threads, int BatchSize)
{
    public static ProbeSettings Parse(string[] args)
    {
        string Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault()
            ?? throw new ArgumentException($"missing {name}: usage OverlapProbe --data DIR --run DIR --steps N --skip K --overlap true|false --world W --threads T --batch-size B");
        int Int(string name) => int.Parse(Value(name), CultureInfo.InvariantCulture);
        var settings = new ProbeSettings(Path.GetFullPath(Value("--data")), Path.GetFullPath(Value("--run")), Int("--steps"), Int("--skip"),
            bool.Parse(Value("--overlap")), Int("--world"), Int("--threads"), Int("--batch-size"));
        if (settings.Skip + 10 > settings.Steps)
            throw new ArgumentException($"--steps {settings.Steps} leaves fewer than 10 measured steps after --skip {settings.Skip}: raise --steps");
        return settings;
    }

    public IEnumerable<string> ToArgs() =>
    [
        "--data", DataDir, "--run", RunDir, "--steps", Steps.ToString(CultureInfo.InvariantCulture),
        "--skip", Skip.ToString(CultureInfo.InvariantCulture), "--overlap", Overlap ? "true" : "false",
        "--world", World.ToString(CultureInfo.InvariantCulture), "--threads", Threads.ToString(CultureInfo.InvariantCulture),
        "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture),
    ];
}
