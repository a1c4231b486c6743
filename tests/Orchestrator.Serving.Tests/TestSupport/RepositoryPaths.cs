namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>Where the repository, its git-ignored cache and the shared read-only data are, found from the test binary.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Git-ignored scratch space that survives between runs (e.g. the npm install of the OpenAI client).</summary>
    public static string Cache => Path.Combine(Root, ".cache", "serving-tests");

    /// <summary>The shared data folder next to the repository (<c>../shared/data</c>).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Orchestrator.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository.");
    }
}
