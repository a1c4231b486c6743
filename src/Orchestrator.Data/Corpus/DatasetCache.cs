namespace Orchestrator.Data.Corpus;

/// <summary>
/// Where built-in datasets are kept between runs: <c>$XDG_CACHE_HOME/orchestrator</c>, else <c>~/.cache/orchestrator</c>
/// (the XDG convention, so users know where to look and what is safe to delete).
/// </summary>
public static class DatasetCache
{
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "orchestrator");
    }

    /// <summary>The cache directory to use: <paramref name="configured"/> when set, else <see cref="DefaultDirectory"/>.</summary>
    public static string Resolve(string? configured) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? DefaultDirectory() : configured);
}
