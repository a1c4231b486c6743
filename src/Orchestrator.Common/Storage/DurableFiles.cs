using System.Runtime.InteropServices;

namespace Orchestrator.Common.Storage;

/// <summary>
/// The write-fsync-rename protocol that makes a checkpoint appear all at once or not at all: file contents are
/// flushed to disk before the rename that publishes them, and the parent directory is flushed after it so the
/// rename itself survives a power loss.
/// </summary>
public static partial class DurableFiles
{
    /// <summary>
    /// Creates <paramref name="path"/>, lets <paramref name="write"/> fill it, and flushes it to disk. The stream is
    /// unbuffered: checkpoint data arrives in large arrays, and a background write that allocates next to nothing
    /// does not set off garbage collections in the middle of training steps.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    public static void WriteText(string path, string text) =>
        Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Copies a file and flushes the copy to disk.</summary>
    public static void Copy(string source, string destination)
    {
        using var input = File.OpenRead(source);
        Write(destination, input.CopyTo);
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> (readers see the old or the new content, never a mix).</summary>
    public static void ReplaceText(string path, string text)
    {
        var temporary = $"{path}.tmp-{Guid.NewGuid():N}";
        WriteText(temporary, text);
        File.Move(temporary, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Flushes a directory's entries (renames, creations) to disk; a no-op where the OS offers no way to.</summary>
    public static void FlushDirectory(string directory)
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
