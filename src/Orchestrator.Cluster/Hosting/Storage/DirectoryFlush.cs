using System.Runtime.InteropServices;

namespace Orchestrator.Cluster.Hosting.Storage;

/// <summary>
/// Flushes a directory's entries to disk after a rename, so the rename itself survives a power loss. .NET cannot
/// open a directory as a stream, hence open/fsync/close from libc (Linux and macOS; elsewhere a no-op).
/// The training checkpoints do the same in Orchestrator.Training; the cluster must not depend on that project.
/// </summary>
internal static class DirectoryFlush
{
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var fd = Open(directory, 0);
        if (fd < 0) throw new IOException($"cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"cannot flush directory '{directory}' to disk (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
