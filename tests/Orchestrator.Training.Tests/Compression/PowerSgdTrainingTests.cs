using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Compression;

/// <summary>Whole training runs with <c>gradient_compression powersgd</c> on in-process groups of 2 and 3 ranks.</summary>
public sealed class PowerSgdTrainingTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public PowerSgdTrainingTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    private RunConfig Config(int maxSteps = 12, string compression = "powersgd", int rank = 2, int? startStep = 3)
    {
        var tiny = TestConfigs.Tiny(_data.Meta.VocabSize);
        return tiny with
        {
            Training = tiny.Training with
            {
                MaxSteps = maxSteps, LrDecaySteps = 20, GradientCompression = compression, PowerSgdRank = rank, PowerSgdStartStep = startStep,
                ReplicaCheckInterval = 1, LogInterval = 1,
            },
        };
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_rank_holds_bit_identical_parameters_after_every_step(int worldSize)
    {
        // replica_check_interval 1: a checksum mismatch at any step stops the run with ReplicaDivergenceException.
        var (results, parameters) = await GroupTraining.Run(Config(), _data, _temp.Sub($"powersgd-{worldSize}"), worldSize, new ListLogger());
        Assert.All(results, r => Assert.Equal(12, r.Steps));
        for (var rank = 1; rank < worldSize; rank++)
            Assert.Equal(0.0, ParameterSnapshot.MaxDifference(parameters[0], parameters[rank]));

        // The factors changed the training (else this test could not fail), and the bytes show it.
        var (_, plain) = await GroupTraining.Run(Config(compression: "none"), _data, _temp.Sub($"none-{worldSize}"), worldSize, new ListLogger());
        Assert.True(ParameterSnapshot.MaxDifference(plain[0], parameters[0]) > 1e-5);
        var rows = TrainRows(_temp.Sub($"powersgd-{worldSize}"));
        Assert.Equal("powersgd-r2", rows[^1].GetProperty("gradient_compression").GetString());
        Assert.Equal(1.0, rows[1].GetProperty("compression_ratio").GetDouble()); // step 2: before powersgd_start_step
        Assert.Equal("none", rows[1].GetProperty("gradient_compression").GetString());
        Assert.True(rows[^1].GetProperty("compression_ratio").GetDouble() > 2, "rank-2 factors of 32-wide matrices are several times smaller");
        Assert.True(rows[^1].GetProperty("wire_bytes_per_step").GetDouble() < rows[0].GetProperty("wire_bytes_per_step").GetDouble());
    }

    [Fact]
    public async Task Resume_after_ten_steps_matches_twenty_uninterrupted_steps()
    {
        var twenty = Config(maxSteps: 20);
        var (_, expected) = await GroupTraining.Run(twenty, _data, _temp.Sub("straight"), 2, new ListLogger());

        var ten = twenty with { Training = twenty.Training with { MaxSteps = 10 } };
        await GroupTraining.Run(ten, _data, _temp.Sub("interrupted"), 2, new ListLogger());
        var saved = SavedCompressorState(_temp.Sub("interrupted"));
        Assert.Contains("wte.weight.error.rank1", saved.Keys);
        Assert.True(saved["wte.weight.error.rank0"].abs().max().item<float>() > 0, "the checkpoint holds real error feedback");
        Assert.NotEqual(saved["wte.weight.error.rank0"].data<float>().ToArray(), saved["wte.weight.error.rank1"].data<float>().ToArray()); // each rank's own errors
        var (results, actual) = await GroupTraining.Run(twenty, _data, _temp.Sub("interrupted"), 2, new ListLogger(), resume: true);

        Assert.All(results, r => Assert.Equal(20, r.Steps));
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected[0], actual[0]));
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected[1], actual[1]));
    }

    [Fact]
    public async Task Resuming_with_another_world_size_keeps_Q_resets_errors_and_says_so()
    {
        var ten = Config(maxSteps: 10);
        await GroupTraining.Run(ten, _data, _temp.Sub("run"), 2, new ListLogger());

        var logger = new ListLogger();
        var (results, parameters) = await GroupTraining.Run(Config(maxSteps: 14), _data, _temp.Sub("run"), 3, logger, resume: true);

        Assert.All(results, r => Assert.Equal(14, r.Steps));
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(parameters[0], parameters[2]));
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("world size changed from 2 to 3") && l.Message.Contains("error buffers reset"));
        Assert.Contains("wte.weight.error.rank2", SavedCompressorState(_temp.Sub("run")).Keys);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_rank_below_one_is_refused_naming_the_option(int rank)
    {
        var error = Assert.Throws<InvalidRunConfigException>(() => Config(rank: rank).Validate());
        Assert.Contains("powersgd_rank", error.Message);
    }

    [Fact]
    public void A_rank_larger_than_the_models_matrices_is_refused_naming_the_option()
    {
        var error = Assert.Throws<InvalidRunConfigException>(() =>
            new Trainer(Config(rank: 500), _data, _temp.Sub("too-large"), SingleProcessSynchronizer.Instance, new ListLogger()));
        Assert.Contains("powersgd_rank = 500", error.Message);
        Assert.Contains("--powersgd-rank", error.Message);
    }

    private static List<JsonElement> TrainRows(string run) => File.ReadLines(Path.Combine(run, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(r => r.GetProperty("kind").GetString() == "train")
        .ToList();

    private static Dictionary<string, Tensor> SavedCompressorState(string run) =>
        Safetensors.LoadStateDict(Path.Combine(Checkpoint.Resolve(run), CheckpointFiles.Compressor));

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
