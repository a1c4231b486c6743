namespace Orchestrator.Data.Tests.TestSupport;

/// <summary>The shared tinyshakespeare corpus (found by <see cref="RepositoryPaths"/>) and the size the Data tests check it against.</summary>
public static class SharedData
{
    public const long TinyShakespeareBytes = 1_115_394;

    public static string TinyShakespeare => RepositoryPaths.TinyShakespeare;
}
