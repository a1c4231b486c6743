using System.Diagnostics;
using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// <c>tokenize</c> takes what <c>eval</c>, <c>generate</c> and <c>serve</c> take (a run or checkpoint directory) as
/// well as a data directory, and says so plainly when the path is missing. It reads standard input, so these run the
/// real CLI as a child process.
/// </summary>
public sealed class TokenizeTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    [Fact]
    public async Task A_run_directory_and_its_checkpoint_give_the_same_ids_as_the_data_directory()
    {
        var text = "ROMEO: What light?\n"u8.ToArray();
        var checkpoint = Path.Combine(tiny.Run, "checkpoints", File.ReadAllText(Path.Combine(tiny.Run, "checkpoints", "latest")).Trim());

        var fromData = await TokenizeAsync(tiny.Data, text);
        Assert.Equal(0, fromData.ExitCode);
        Assert.NotEmpty(fromData.Stdout.Trim());
        foreach (var path in new[] { tiny.Run, checkpoint, Path.Combine(tiny.Run, "checkpoints", "latest") })
        {
            var ids = await TokenizeAsync(path, text);
            Assert.True(ids.ExitCode == 0, ids.Stderr);
            Assert.Equal(fromData.Stdout, ids.Stdout);
        }
    }

    [Fact]
    public async Task A_missing_path_is_reported_as_missing()
    {
        var missing = Path.Combine(tiny.Run, "no-such-dir");

        var result = await CliRun.InvokeAsync("tokenize", missing);

        result.AssertOneLineError($"'{missing}' does not exist");
    }

    [Fact]
    public async Task A_directory_with_neither_tokenizer_nor_checkpoint_says_what_it_lacks()
    {
        using var temp = new TempDirectory();

        var result = await CliRun.InvokeAsync("tokenize", temp.Path);

        result.AssertOneLineError("holds no tokenizer.json and no checkpoint");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> TokenizeAsync(string path, byte[] input)
    {
        var info = new ProcessStartInfo("dotnet", [RepositoryPaths.CliDll, "tokenize", path])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
