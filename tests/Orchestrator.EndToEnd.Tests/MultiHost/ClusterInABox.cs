using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// A box of scripts/cluster-in-a-box.sh for one test: hosts h1..hN and coord, each a network namespace with its own
/// address behind a rate-limited link. The name is unique per instance, so tests and other runs never share
/// namespaces; dispose takes the box down (and every process still running in it).
/// </summary>
internal sealed class ClusterInABox : IDisposable
{
    private readonly Dictionary<string, string> _addresses;

    private ClusterInABox(string name, Dictionary<string, string> addresses)
    {
        Name = name;
        _addresses = addresses;
    }

    public static string Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
                    return Path.Combine(dir.FullName, "scripts", "cluster-in-a-box.sh");
            throw new DirectoryNotFoundException($"no Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository");
        }
    }

    public string Name { get; }

    /// <summary>Host names h1..hN (the coordinator's namespace is "coord").</summary>
    public IReadOnlyList<string> Hosts => _addresses.Keys.Where(h => h != "coord").ToArray();

    public string Address(string host) => _addresses[host];

    public static async Task<ClusterInABox> UpAsync(int hosts, int linkMbit)
    {
        if (!Environment.IsPrivilegedProcess)
            Assert.Fail($"{NetnsFactAttribute.RequireVariable}=1 but the tests are not running as root: cluster-in-a-box needs root");
        var name = $"t{Guid.NewGuid():N}"[..10];
        var up = await ExternalProcess.RunAsync(Script, ["up", "--hosts", $"{hosts}", "--link-mbit", $"{linkMbit}", "--name", name]);
        Assert.True(up.ExitCode == 0, up.Describe());
        var addresses = up.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')).ToDictionary(parts => parts[0], parts => parts[1]);
        return new ClusterInABox(name, addresses);
    }

    /// <summary>The command prefix that runs a program inside <paramref name="host"/>.</summary>
    public IReadOnlyList<string> Launcher(string host) => [Script, "exec", "--name", Name, host, "--"];

    /// <summary>Runs the CLI with <paramref name="arguments"/> inside <paramref name="host"/>.</summary>
    public Task<ProcessResult> CliAsync(string host, IReadOnlyList<string> arguments, TimeSpan? timeout = null) =>
        ExternalProcess.RunAsync(Script, [.. Launcher(host).Skip(1), "dotnet", RepositoryPaths.CliDll, .. arguments], timeout: timeout);

    /// <summary>Partitions <paramref name="host"/>: it keeps running, but no frame reaches it or leaves it.</summary>
    public Task CutAsync(string host) => RunAsync("cut", "--name", Name, host);

    public Task HealAsync(string host) => RunAsync("heal", "--name", Name, host);

    public Task RateAsync(string host, int mbit) => RunAsync("rate", "--name", Name, host, $"{mbit}");

    private static async Task RunAsync(params string[] arguments)
    {
        var result = await ExternalProcess.RunAsync(Script, arguments);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    public void Dispose() => ExternalProcess.RunAsync(Script, ["down", "--name", Name]).GetAwaiter().GetResult();
}
