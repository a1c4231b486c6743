namespace Orchestrator.Cluster.Hosting.Storage;

/// <summary>
/// An exclusive lock on <c>DIR/.lock</c> held for the life of a coordinator: two coordinators writing one state
/// directory would overwrite each other's grains, so the second is refused at start. The operating system drops the
/// lock when the process dies, so a killed coordinator never leaves a stale one behind.
/// </summary>
internal sealed class StateDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private StateDirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>Creates the directory if needed; throws <see cref="IOException"/> naming it when another process holds the lock.</summary>
    public static StateDirectoryLock Acquire(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException(
                $"cannot create the coordinator state directory '{directory}' ({e.Message}): pass a writable one with --state-dir or Orchestrator:Coordinator:StateDirectory", e);
        }

        var path = Path.Combine(directory, FileName);
        try
        {
            return new StateDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new IOException(
                $"coordinator state directory '{directory}' is in use by another coordinator ({e.Message}): stop it, or give this one its own --state-dir", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
