using Orchestrator.Data.Corpus;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Corpus;

public sealed class TextFileReaderTests
{
    [Fact]
    public async Task Invalid_utf8_is_an_error_naming_the_file_and_byte_offset()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'!']);

        var error = await Assert.ThrowsAsync<MalformedInputException>(() => TextFileReader.ReadAsync(path, CancellationToken.None));

        Assert.Contains($"'{path}' at byte 3", error.Message);
        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public async Task A_byte_order_mark_is_not_part_of_the_text()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("bom.txt", [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i']);

        Assert.Equal("hi", await TextFileReader.ReadAsync(path, CancellationToken.None));
    }
}
