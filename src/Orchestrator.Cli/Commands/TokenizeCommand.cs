using System.CommandLine;
using System.Globalization;
using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator tokenize DATA_DIR</c>: standard input's raw bytes → one line of token ids, or with <c>--decode</c>
/// ids → the exact bytes. Works on bytes, not text, so byte-level tokenizers round-trip anything.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var data = new Argument<string>("data") { Description = "Data directory written by `prepare`, a run directory (its latest checkpoint) or a checkpoint" };
        var decode = new Option<bool>("--decode") { Description = "Read space-separated ids and write the bytes they encode" };
        var command = new Command("tokenize", "Encode standard input to token ids (or decode ids with --decode)") { data, decode };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var tokenizer = LoadTokenizer(parse.GetValue(data)!);
            using var input = new MemoryStream();
            await Console.OpenStandardInput().CopyToAsync(input, cancellationToken);
            using var stdout = Console.OpenStandardOutput();
            if (parse.GetValue(decode))
            {
                var ids = ParseIds(Encoding.ASCII.GetString(input.ToArray()), tokenizer.VocabSize);
                stdout.Write(tokenizer.Decode(ids));
            }
            else
            {
                var ids = tokenizer.Encode(input.ToArray());
                stdout.Write(Encoding.ASCII.GetBytes(string.Join(' ', ids) + "\n"));
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The tokenizer of a data directory, or of the checkpoint a run, checkpoints or checkpoint path designates (as
    /// <c>eval</c>, <c>generate</c> and <c>serve</c> accept), so the ids match the model's.
    /// </summary>
    private static ITextTokenizer LoadTokenizer(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Path.Exists(full))
            throw new DirectoryNotFoundException($"'{path}' does not exist: pass a data directory written by `prepare`, a run directory or a checkpoint");
        if (Directory.Exists(full) && TokenizerStore.FilesIn(full).Count > 0) return TokenizerStore.Load(full);
        try
        {
            return TokenizerStore.Load(Checkpoint.Resolve(full));
        }
        catch (CheckpointNotFoundException e)
        {
            throw new CheckpointNotFoundException(
                $"'{path}' holds no tokenizer.json and no checkpoint ({e.Message}): pass a data directory written by `prepare`, a run directory or a checkpoint");
        }
    }

    private static int[] ParseIds(string text, int vocabSize)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]) || ids[i] >= vocabSize)
                throw new FormatException($"token #{i + 1} '{parts[i]}' is not an id in [0, {vocabSize}): pass the space-separated output of `tokenize`");
        }
        return ids;
    }
}
