namespace Orchestrator.Data.Tests.TestSupport;

/// <summary>
/// The read-only shared corpora next to the repository (../shared/data from the repository root), found by walking up
/// from the test binaries to the directory holding Orchestrator.sln. ORCHESTRATOR_SHARED_DATA overrides the location.
/// </summary>
public static class SharedData
{
    public const long TinyShakespeareBytes = 1_115_394;

    public static string TinyShakespeare => Path.Combine(Directory(), "tinyshakespeare.txt");

    private static string Directory()
    {
        var configured = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED_DATA");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            {
                var data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (File.Exists(Path.Combine(data, "tinyshakespeare.txt")))
                {
                    return data;
                }
                throw new InvalidOperationException($"Shared data not found at '{data}'; set ORCHESTRATOR_SHARED_DATA to the folder holding tinyshakespeare.txt.");
            }
        }
        throw new InvalidOperationException($"No Orchestrator.sln above '{AppContext.BaseDirectory}'; set ORCHESTRATOR_SHARED_DATA to the folder holding tinyshakespeare.txt.");
    }
}
