using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class CheckpointCatalogTests(ClusterFixture fixture)
{
    private static CheckpointRecord At(long step, double? valLoss) => new()
    {
        Step = step,
        Path = $"/runs/j/step-{step}",
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(step))),
        ValLoss = valLoss,
        SavedUtc = DateTimeOffset.UnixEpoch.AddMinutes(step),
    };

    [Fact]
    public async Task Catalog_keeps_the_last_k_plus_the_best_and_returns_the_rest_to_prune()
    {
        var catalog = fixture.Grains.GetCheckpointCatalog($"catalog-{Guid.NewGuid():N}");
        var pruned = new List<long>();
        (long Step, double? Loss)[] saves = [(100, 3.0), (200, 1.2), (300, 1.8), (400, null), (500, 1.9)];
        foreach (var (step, loss) in saves)
        {
            pruned.AddRange((await catalog.AddAsync(At(step, loss))).Select(c => c.Step));
        }

        // K = 2: newest 400 and 500 stay, plus 200 as the lowest validation loss.
        Assert.Equal([200, 400, 500], (await catalog.ListAsync()).Select(c => c.Step));
        Assert.Equal([100, 300], pruned);
        Assert.Equal(500, (await catalog.GetLatestAsync())!.Step);
        Assert.Equal(200, (await catalog.GetBestAsync())!.Step);
    }

    [Fact]
    public async Task Resaving_a_step_to_a_new_path_returns_the_old_files_to_delete()
    {
        var catalog = fixture.Grains.GetCheckpointCatalog($"catalog-{Guid.NewGuid():N}");
        await catalog.AddAsync(At(100, 2.0));

        var pruned = await catalog.AddAsync(At(100, 1.9) with { Path = "/runs/j/step-100-retry" });

        Assert.Equal("/runs/j/step-100", Assert.Single(pruned).Path);
        Assert.Equal("/runs/j/step-100-retry", Assert.Single(await catalog.ListAsync()).Path);
    }

    [Fact]
    public async Task Catalog_refuses_a_checkpoint_without_a_proper_hash()
    {
        var catalog = fixture.Grains.GetCheckpointCatalog($"catalog-{Guid.NewGuid():N}");
        var error = await Assert.ThrowsAsync<WorkerProtocolException>(() => catalog.AddAsync(At(100, 1.0) with { Sha256 = "abc" }));
        Assert.Contains("sha256 'abc'", error.Message);
        Assert.Empty(await catalog.ListAsync());
        Assert.Null(await catalog.GetLatestAsync());
        Assert.Null(await catalog.GetBestAsync());
    }
}
