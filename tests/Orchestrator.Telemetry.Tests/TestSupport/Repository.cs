namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>Paths the tests read: the repository root (the directory holding Orchestrator.sln), the CLI and the shared corpus.</summary>
internal static class Repository
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"no Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository");
        }
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string TinyShakespeare => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "tinyshakespeare.txt"));
}
