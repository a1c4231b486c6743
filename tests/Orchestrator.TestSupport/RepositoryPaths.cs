namespace Orchestrator.TestSupport;

/// <summary>
/// Where the tests find the repository (the directory holding Orchestrator.sln, found by walking up from the test
/// binaries), the CLI (its <c>orchestrator.dll</c> is copied next to a test assembly that references Orchestrator.Cli)
/// and the read-only shared corpora (../shared/data beside the repository, or ORCHESTRATOR_SHARED_DATA).
/// </summary>
public static class RepositoryPaths
{
    public const string SharedDataVariable = "ORCHESTRATOR_SHARED_DATA";

    public static string Root { get; } = FindRoot();

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    /// <summary>A path inside the repository, e.g. <c>PathOf("deploy", "Dockerfile")</c>.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Git-ignored scratch space for <paramref name="suite"/> that survives between runs (e.g. an npm install).</summary>
    public static string CacheFor(string suite) => PathOf(".cache", suite);

    /// <summary>The shared data folder (<c>../shared/data</c> beside the repository unless ORCHESTRATOR_SHARED_DATA says otherwise).</summary>
    public static string SharedData
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(SharedDataVariable);
            return string.IsNullOrEmpty(configured) ? Path.GetFullPath(Path.Combine(Root, "..", "shared", "data")) : configured;
        }
    }

    public static string TinyShakespeare
    {
        get
        {
            var path = Path.Combine(SharedData, "tinyshakespeare.txt");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException(
                    $"the shared corpus is not at '{path}' (../shared/data beside the repository); set {SharedDataVariable} to the folder holding tinyshakespeare.txt", path);
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Orchestrator.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"no Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository");
    }
}
