using System.Text;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>RUN_DIR/train.log</c>: everything <c>train</c> writes to standard error while it runs (its log, progress, the
/// workers' lines with <c>--workers N</c>) is also appended there, so a run keeps its own history next to its metrics.
/// </summary>
internal sealed class TrainLog : IDisposable
{
    public const string FileName = "train.log";

    private readonly TextWriter _original;
    private readonly StreamWriter _file;

    private TrainLog(TextWriter original, StreamWriter file)
    {
        (_original, _file) = (original, file);
    }

    /// <summary>Starts copying standard error into <paramref name="runDir"/>/train.log (appending, so a resumed run keeps the earlier part). Create loggers after this.</summary>
    public static TrainLog Start(string runDir)
    {
        var file = new StreamWriter(new FileStream(Path.Combine(runDir, FileName), FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false))
        {
            AutoFlush = true,
        };
        var original = Console.Error;
        Console.SetError(TextWriter.Synchronized(new TeeWriter(original, file)));
        return new TrainLog(original, file);
    }

    public void Dispose()
    {
        Console.SetError(_original);
        _file.Dispose();
    }

    /// <summary>Writes everything to both writers; a failing log file never stops the run's own output.</summary>
    private sealed class TeeWriter(TextWriter console, TextWriter file) : TextWriter
    {
        public override Encoding Encoding => console.Encoding;

        public override void Write(char value) => Both(w => w.Write(value));

        public override void Write(string? value) => Both(w => w.Write(value));

        public override void Write(char[] buffer, int index, int count) => Both(w => w.Write(buffer, index, count));

        public override void WriteLine(string? value) => Both(w => w.WriteLine(value));

        public override void Flush() => Both(w => w.Flush());

        private void Both(Action<TextWriter> write)
        {
            write(console);
            try
            {
                write(file);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Disk full or the file closed under a late log line: the console still has it.
            }
        }
    }
}
