using Orchestrator.Data.Corpus;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Corpus;

public sealed class JsonlReaderTests
{
    [Fact]
    public async Task Each_record_is_one_document_named_by_file_and_line()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("corpus.jsonl",
            "{\"text\": \"first\\nline\", \"id\": 1}\n\n{\"id\": 2, \"text\": \"caf\\u00e9 \\ud83d\\ude00\"}\r\n   \n{\"text\": \"\"}");

        var documents = await JsonlReader.ReadAsync(path, "text", CancellationToken.None);

        Assert.Equal(["first\nline", "caf\u00E9 \U0001F600", ""], documents.Select(d => d.Text));
        Assert.Equal([$"{path}:1", $"{path}:3", $"{path}:5"], documents.Select(d => d.Source));
    }

    [Fact]
    public async Task A_malformed_line_is_an_error_naming_the_file_and_line_number()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"also ok\"}\n{\"text\": \"unterminated}\n{\"text\": \"never read\"}\n");

        var error = await Assert.ThrowsAsync<MalformedInputException>(() => JsonlReader.ReadAsync(path, "text", CancellationToken.None));

        Assert.Equal(3, error.Line);
        Assert.Equal(path, error.File);
        Assert.Contains($"'{path}' line 3", error.Message);
    }

    [Fact]
    public async Task Invalid_utf8_inside_a_record_is_an_error_naming_its_line()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("latin1.jsonl", [.. "{\"text\": \"ok\"}\n{\"text\": \"caf"u8, 0xE9, .. "\"}\n"u8]);

        var error = await Assert.ThrowsAsync<MalformedInputException>(() => JsonlReader.ReadAsync(path, "text", CancellationToken.None));

        Assert.Equal(2, error.Line);
        Assert.Contains($"'{path}' line 2", error.Message);
    }

    [Fact]
    public async Task A_missing_text_field_names_the_fields_present_and_the_option_to_change()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("other.jsonl", "{\"content\": \"x\", \"id\": 7}\n");

        var error = await Assert.ThrowsAsync<MalformedInputException>(() => JsonlReader.ReadAsync(path, "text", CancellationToken.None));

        Assert.Equal(1, error.Line);
        Assert.Contains("\"content\", \"id\"", error.Message);
        Assert.Contains("--text-field", error.Message);
    }

    [Fact]
    public async Task Another_text_field_can_be_chosen()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("other.jsonl", "{\"content\": \"x\", \"text\": 5}\n");

        var documents = await JsonlReader.ReadAsync(path, "content", CancellationToken.None);

        Assert.Equal("x", Assert.Single(documents).Text);
    }

    [Theory]
    [InlineData("[\"text\"]", "array")]
    [InlineData("{\"text\": 5}", "number")]
    [InlineData("{\"text\": null}", "null")]
    public async Task Lines_that_are_not_objects_with_a_string_field_are_rejected(string line, string kind)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("x.jsonl", line + "\n");

        var error = await Assert.ThrowsAsync<MalformedInputException>(() => JsonlReader.ReadAsync(path, "text", CancellationToken.None));

        Assert.Contains(kind, error.Message);
        Assert.Contains("line 1", error.Message);
    }
}
