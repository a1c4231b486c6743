using Microsoft.Extensions.Options;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker.Tests;

/// <summary><c>Orchestrator:Worker</c> is read and checked before anything listens or connects.</summary>
public sealed class WorkerOptionsTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        [$"{WorkerOptions.SectionName}:Coordinator"] = "127.0.0.1:30000",
        [$"{WorkerOptions.SectionName}:WorkerId"] = "w-options",
    };

    [Fact]
    public async Task The_Orchestrator_Worker_section_configures_the_worker()
    {
        var settings = Valid();
        settings[$"{WorkerOptions.SectionName}:Device"] = "cuda:1";
        settings[$"{WorkerOptions.SectionName}:Threads"] = "3";
        settings[$"{WorkerOptions.SectionName}:CoordinatorLossTimeout"] = "00:00:42";
        settings[$"{WorkerOptions.SectionName}:ExitAfterJob"] = "true";
        await using var host = WorkerHost.Create([], settings);
        Assert.Equal(("cuda:1", 3, TimeSpan.FromSeconds(42), true, "w-options"),
            (host.Options.Device, host.Options.Threads, host.Options.CoordinatorLossTimeout, host.Options.ExitAfterJob, host.Options.WorkerId));
    }

    [Fact]
    public async Task The_Collective_section_tunes_the_workers_ring_links()
    {
        var settings = Valid();
        settings["Collective:ChannelsPerLink"] = "4";
        settings["Collective:ChunkBytes"] = "131072";
        await using var host = WorkerHost.Create([], settings);
        Assert.Equal((4, 131072), (host.Collective.ChannelsPerLink, host.Collective.ChunkBytes));
    }

    [Fact]
    public void A_bad_collective_value_is_refused_before_the_worker_starts_naming_its_key()
    {
        var settings = Valid();
        settings["Collective:ChannelsPerLink"] = "0";
        var error = Assert.ThrowsAny<Exception>(() => WorkerHost.Create([], settings));
        Assert.Contains("Collective:ChannelsPerLink must be between 1 and 16", error.Message);
    }

    [Theory]
    [InlineData("Threads", "-1", "--threads (Orchestrator:Worker:Threads) must be zero (all cores) or positive, got -1")]
    [InlineData("CollectivePort", "70000", "--port (Orchestrator:Worker:CollectivePort) must be in 0..65535, got 70000")]
    [InlineData("CoordinatorLossTimeout", "00:00:00.100", "--coordinator-loss-timeout (Orchestrator:Worker:CoordinatorLossTimeout) must exceed the heartbeat interval")]
    [InlineData("ClusterToken", "short", "--cluster-token (Orchestrator:Worker:ClusterToken) is 5 characters")]
    [InlineData("WorkerId", " ", "--worker-id (Orchestrator:Worker:WorkerId) must not be empty")]
    public void A_bad_value_is_refused_at_start_naming_its_flag_and_key(string key, string value, string message)
    {
        var settings = Valid();
        settings[$"{WorkerOptions.SectionName}:{key}"] = value;
        var error = Assert.Throws<OptionsValidationException>(() => WorkerHost.Create([], settings));
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
