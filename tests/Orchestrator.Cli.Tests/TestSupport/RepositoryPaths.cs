namespace Orchestrator.Cli.Tests.TestSupport;

/// <summary>Where the tests find the repository's sources, the CLI's dll (copied next to the tests) and the shared corpus (../shared/data beside the repository).</summary>
public static class RepositoryPaths
{
    public static string CliDll => System.IO.Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Orchestrator.sln"))) return dir.FullName;
            }
            throw new DirectoryNotFoundException($"no Orchestrator.sln above '{AppContext.BaseDirectory}': run the tests from the repository");
        }
    }

    public static string TinyShakespeare
    {
        get
        {
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, "..", "shared", "data", "tinyshakespeare.txt"));
            return File.Exists(path) ? path : throw new FileNotFoundException($"the shared corpus is not at '{path}' (../shared/data beside the repository)", path);
        }
    }
}
