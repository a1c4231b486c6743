using System.Text.Json;

namespace Orchestrator.Data.Corpus;

/// <summary>
/// Reads JSON Lines corpora (one object per line, the text in a named string field), one document per line.
/// Any bad line stops the run with the file and 1-based line number, because silently skipping records would change
/// the dataset without anyone noticing. Blank lines are allowed.
/// </summary>
public static class JsonlReader
{
    public static async Task<IReadOnlyList<Document>> ReadAsync(string path, string textField, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        return Parse(bytes, path, textField, ct);
    }

    private static List<Document> Parse(ReadOnlyMemory<byte> content, string path, string textField, CancellationToken ct)
    {
        var documents = new List<Document>();
        long lineNumber = 0;
        while (!content.IsEmpty)
        {
            ct.ThrowIfCancellationRequested();
            lineNumber++;
            var end = content.Span.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            content = end < 0 ? ReadOnlyMemory<byte>.Empty : content[(end + 1)..];
            if (lineNumber == 1 && line.Span.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }
            documents.Add(new Document($"{path}:{lineNumber}", ReadText(line, path, lineNumber, textField)));
        }
        return documents;
    }

    private static string ReadText(ReadOnlyMemory<byte> line, string path, long lineNumber, string textField)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new MalformedInputException(path, lineNumber,
                $"'{path}' line {lineNumber} is not valid JSON ({ex.Message}); fix or remove that line.", ex);
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new MalformedInputException(path, lineNumber,
                    $"'{path}' line {lineNumber} is a JSON {json.RootElement.ValueKind.ToString().ToLowerInvariant()}, " +
                    $"not an object with a \"{textField}\" field; each line must be one object.");
            }
            if (!json.RootElement.TryGetProperty(textField, out var text))
            {
                var fields = string.Join(", ", json.RootElement.EnumerateObject().Select(p => $"\"{p.Name}\""));
                throw new MalformedInputException(path, lineNumber,
                    $"'{path}' line {lineNumber} has no \"{textField}\" field (fields: {(fields.Length == 0 ? "none" : fields)}); " +
                    "pass --text-field NAME to read another field.");
            }
            if (text.ValueKind != JsonValueKind.String)
            {
                throw new MalformedInputException(path, lineNumber,
                    $"'{path}' line {lineNumber}: field \"{textField}\" is a JSON {text.ValueKind.ToString().ToLowerInvariant()}, not a string.");
            }
            try
            {
                return text.GetString()!;
            }
            catch (InvalidOperationException ex)
            {
                throw new MalformedInputException(path, lineNumber,
                    $"'{path}' line {lineNumber}: field \"{textField}\" is not valid UTF-8; convert the file to UTF-8 and run again.", ex);
            }
        }
    }
}
