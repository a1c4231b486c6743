namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>
/// Where the tests find the CLI and the shared corpus: the CLI's <c>orchestrator.dll</c> is copied next to the test
/// assembly (the project references Orchestrator.Cli), the corpus lives in ../shared/data beside the directory holding
/// Orchestrator.sln.
/// </summary>
public static class RepositoryPaths
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static string TinyShakespeare
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln"))) continue;
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "tinyshakespeare.txt"));
                return File.Exists(path)
                    ? path
                    : throw new FileNotFoundException($"the shared corpus is not at '{path}' (../shared/data beside the repository)", path);
            }
            throw new DirectoryNotFoundException($"no Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository");
        }
    }
}
