using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Distributed;

namespace Orchestrator.Training.Tests.TestSupport;

/// <summary>Trains several ranks of one data-parallel group in this process (<see cref="InProcessGroup"/>) and snapshots their parameters.</summary>
internal static class GroupTraining
{
    /// <summary>
    /// Builds the ranks one after the other (initialisation draws from libtorch's process-wide generator), runs them
    /// together and returns each rank's result and final parameters. All ranks share <paramref name="runDirectory"/>, as
    /// workers share a run directory on a common volume; only rank 0 writes to it.
    /// </summary>
    public static async Task<(TrainingResult[] Results, Dictionary<string, float[]>[] Parameters)> Run(
        RunConfig config, PreparedDataset data, string runDirectory, int worldSize, ILogger logger, bool resume = false,
        Func<IGradientSynchronizer, IGradientSynchronizer>? wrap = null)
    {
        var group = new InProcessGroup(worldSize);
        var trainers = new List<Trainer>();
        try
        {
            foreach (var peer in group.Ranks)
                trainers.Add(new Trainer(config, data, runDirectory, wrap is null ? peer : wrap(peer), logger, resume: resume));
            var results = await Task.WhenAll(trainers.Select(t => t.RunAsync(CancellationToken.None)));
            return (results, trainers.Select(t => ParameterSnapshot.Of(t.Model)).ToArray());
        }
        finally
        {
            foreach (var trainer in trainers) trainer.Dispose();
        }
    }
}
