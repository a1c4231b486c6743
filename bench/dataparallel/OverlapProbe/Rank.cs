using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Collective;
using Orchestrator.Collective.Hosting;
using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Worker.Gradients;

namespace OverlapProbe;

/// <summary>
/// One rank, set up as the worker sets up an assignment (a collective server with default options, the ring the
/// coordinator hands out, a <see cref="Trainer"/> over <see cref="CollectiveGradientSynchronizer"/>), but with the
/// synchronizer wrapped in <see cref="TimedSynchronizer"/>. Protocol on stdout: "ENDPOINT uri", then after
/// "PEERS uri..." on stdin, "RESULT {json}".
/// </summary>
internal static class Rank
{
    public static async Task<int> RunAsync(int rank, ProbeSettings settings)
    {
        await using var server = await CollectiveServer.StartAsync(0);
        Console.WriteLine($"ENDPOINT {server.Endpoint}");
        var peers = (Console.ReadLine() ?? throw new InvalidOperationException("the coordinator closed stdin before sending PEERS"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(u => new Uri(u)).ToArray();
        await using var group = await server.Node.JoinAsync(new RingMembership("overlap-probe", rank, peers), CancellationToken.None);

        using var data = PreparedDataset.Open(settings.DataDir);
        var config = new RunConfig
        {
            Model = new ModelConfig { VocabSize = data.Meta.VocabSize, NLayer = 4, NHead = 4, NEmbd = 128, BlockSize = 64, Dropout = 0 },
            Training = new TrainingOptions
            {
                BatchSize = settings.BatchSize,
                LearningRate = 1e-3,
                MinLr = 1e-4,
                WarmupSteps = Math.Min(100, settings.Steps / 10),
                MaxSteps = settings.Steps,
                Beta2 = 0.99,
                Threads = settings.Threads,
                EvalInterval = 0,
                EvalBatches = 1,
                CheckpointInterval = 0,
                LogInterval = 50,
                OverlapCommunication = settings.Overlap,
            },
        };
        var synchronizer = new TimedSynchronizer(new CollectiveGradientSynchronizer(group));
        using (var trainer = new Trainer(config, data, settings.RunDir, synchronizer, NullLogger<Trainer>.Instance))
            await trainer.RunAsync(CancellationToken.None);

        var measured = synchronizer.Steps.Skip(settings.Skip).ToList();
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new RankResult(rank, measured.Count, measured[0].Exchanges,
            Summary.Of(measured, s => s.CycleMs), Summary.Of(measured, s => s.ExposedMs), Summary.Of(measured, s => s.InFlightMs),
            Summary.Of(measured, s => s.SumOfExchangesMs), Summary.Of(measured, s => s.BeforeFirstExchangeMs),
            Summary.Of(measured, s => s.LossSumMs))));
        return 0;
    }
}

/// <summary>What one rank measured over its steps after the skipped warm-up, in milliseconds.</summary>
internal sealed record RankResult(int Rank, int Steps, int ExchangesPerStep, Summary CycleMs, Summary ExposedMs, Summary InFlightMs,
    Summary SumOfExchangesMs, Summary BeforeFirstExchangeMs, Summary LossSumMs);

/// <summary>Mean and median: on a shared machine the median resists the steps another process's burst stretched.</summary>
internal sealed record Summary(double Mean, double Median)
{
    public static Summary Of(IReadOnlyList<StepTiming> steps, Func<StepTiming, double> value)
    {
        var values = steps.Select(value).Order().ToArray();
        var middle = values.Length / 2;
        var median = values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        return new Summary(values.Average(), median);
    }
}
