using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// <c>train --resume</c> continues a stopped run exactly: the weights, optimizer moments, learning-rate schedule,
/// data position and dropout randomness after resuming match a run that was never interrupted.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Resuming_after_ten_steps_matches_twenty_uninterrupted_steps_with_dropout()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        string[] shared =
        [
            "--batch-size", "8", "--dropout", "0.1", "--seed", "11", "--warmup-steps", "2", "--lr", "2e-3",
            "--eval-interval", "0", "--eval-batches", "1", "--log-interval", "1", "--checkpoint-interval", "10",
        ];
        // The first part stops at step 10 but decays the learning rate as a 20-step run does.
        var config = _temp.Sub("decay-over-20.json");
        await File.WriteAllTextAsync(config, """{ "training": { "lr_decay_steps": 20 } }""");

        var interrupted = _temp.Sub("interrupted");
        await OrchestratorCli.SucceedAsync(TinyGpt.Train(data, interrupted, [.. shared, "--config", config, "--max-steps", "10"]));
        Assert.Equal("step-00000010", File.ReadAllText(TinyGpt.Latest(interrupted)).Trim());
        await OrchestratorCli.SucceedAsync("train", "--data", data, "--out", interrupted, "--resume", "--max-steps", "20");

        var uninterrupted = _temp.Sub("uninterrupted");
        await OrchestratorCli.SucceedAsync(TinyGpt.Train(data, uninterrupted, [.. shared, "--max-steps", "20"]));

        var resumedDir = TinyGpt.LatestDirectory(interrupted);
        var straightDir = TinyGpt.LatestDirectory(uninterrupted);
        Assert.Equal("step-00000020", Path.GetFileName(resumedDir));
        Assert.Equal("step-00000020", Path.GetFileName(straightDir));
        foreach (var file in new[] { "model.safetensors", "optimizer.safetensors" })
        {
            var differences = ParameterDifference.Compare(
                SafetensorsFile.Read(Path.Combine(resumedDir, file)), SafetensorsFile.Read(Path.Combine(straightDir, file)));
            Assert.NotEmpty(differences);
            var outside = differences.Where(d => d.MaxAbsDifference > 1e-6 * d.MaxAbsValue).ToArray();
            Assert.True(outside.Length == 0, $"{file} after resuming differs:\n{string.Join("\n", outside.Select(d => d.ToString()))}");
        }

        // Step by step, the resumed run saw the same learning rate and the same loss (same batches, same dropout masks).
        var resumedRows = MetricsRow.Read(interrupted).Where(r => r.Kind == "train").ToArray();
        var straightRows = MetricsRow.Read(uninterrupted).Where(r => r.Kind == "train").ToArray();
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), resumedRows.Select(r => r.Step));
        Assert.Equal(straightRows.Select(r => r.Step), resumedRows.Select(r => r.Step));
        for (var i = 0; i < straightRows.Length; i++)
        {
            Assert.Equal(straightRows[i].Number("lr"), resumedRows[i].Number("lr"), 1e-15);
            Assert.Equal(straightRows[i].Number("loss"), resumedRows[i].Number("loss"), 1e-6);
        }
    }

    public void Dispose() => _temp.Dispose();
}
