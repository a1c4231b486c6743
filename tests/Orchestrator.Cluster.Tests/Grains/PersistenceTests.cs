using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class PersistenceTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Job_and_catalog_state_survive_deactivation_of_their_grains()
    {
        var grains = fixture.Grains;
        var prefix = $"p{Guid.NewGuid():N}"[..9];
        await using var a = await TestWorker.StartAsync(grains, $"{prefix}-a", 7951);
        var spec = new JobSpec { JobId = $"persist-{prefix}", DataDir = "/d", RunDir = "/r", ConfigJson = """{"k":1}""", WorldSize = 1 };
        var job = grains.GetJob(spec.JobId);
        await job.SubmitAsync(ValidJobSpec.From(spec));
        await job.ConfirmReadyAsync(a.Id, 0);
        await job.ReportCheckpointAsync(a.Id, new CheckpointRecord { Step = 40, Path = "/r/step-40", Sha256 = new string('e', 64), ValLoss = 1.25 });
        await job.ReportCompletedAsync(a.Id, new ProgressReport { Step = 42, Loss = 1.5, TokensPerSecond = 321 });
        var before = await job.GetStatusAsync();

        var management = grains.GetGrain<IManagementGrain>(0);
        bool IsJobGrain(DetailedGrainStatistic s) => s.GrainId.Key.ToString() == spec.JobId && s.GrainType.Contains("TrainingJobGrain");
        Assert.Contains(await management.GetDetailedGrainStatistics(), IsJobGrain);
        await management.ForceActivationCollection(TimeSpan.Zero);
        Assert.DoesNotContain(await management.GetDetailedGrainStatistics(), IsJobGrain);

        var after = await job.GetStatusAsync();
        Assert.Equal(JobState.Completed, after.State);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(42, after.Step);
        Assert.Equal(1.5, after.LastLoss);
        Assert.Equal(spec, after.Spec);
        Assert.Equal(before.History.Select(h => (h.From, h.To, h.Reason)), after.History.Select(h => (h.From, h.To, h.Reason)));
        Assert.Equal(a.Id, Assert.Single(after.Members).WorkerId);
        Assert.Equal("/r/step-40", after.LatestCheckpoint!.Path);
        Assert.Equal(1.25, (await grains.GetCheckpointCatalog(spec.JobId).GetBestAsync())!.ValLoss);
    }
}
