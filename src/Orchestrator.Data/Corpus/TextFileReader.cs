using System.Text;

namespace Orchestrator.Data.Corpus;

/// <summary>
/// Reads text files as strict UTF-8: a Latin-1 file silently decoded with replacement characters would teach the model
/// U+FFFD, so invalid bytes are an error naming the file and offset. A leading byte-order mark is dropped.
/// </summary>
public static class TextFileReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<string> ReadAsync(string path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        return Decode(bytes, path, line: null);
    }

    /// <summary>Decodes <paramref name="bytes"/> strictly; <paramref name="line"/> only sharpens the error message.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string path, long? line)
    {
        var preamble = Encoding.UTF8.Preamble;
        if (bytes.StartsWith(preamble))
        {
            bytes = bytes[preamble.Length..];
        }
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            var where = line is null ? $"'{path}' at byte {ex.Index}" : $"'{path}' line {line}";
            throw new MalformedInputException(path, line,
                $"{where} is not valid UTF-8; convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and run again.", ex);
        }
    }
}
