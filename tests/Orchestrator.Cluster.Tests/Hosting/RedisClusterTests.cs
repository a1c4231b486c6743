using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class RedisClusterTests
{
    [RedisFact]
    public async Task Coordinators_sharing_redis_form_one_cluster_and_a_new_coordinator_finds_the_stored_jobs()
    {
        await using var redis = await RedisServer.StartAsync();
        var clusterId = $"redis-{Guid.NewGuid():N}";
        JobStatus cancelled;

        await using (var first = CoordinatorHost.Create([], CoordinatorSettings.OnFreePorts(clusterId, redis.ConnectionString)))
        await using (var second = CoordinatorHost.Create([], CoordinatorSettings.OnFreePorts(clusterId, redis.ConnectionString)))
        {
            await first.StartAsync();
            await second.StartAsync();

            // The worker joins through the second coordinator's gateway; the job is submitted to the first.
            await using var connection = await CoordinatorConnection.ConnectAsync(
                new CoordinatorConnectionOptions { Gateways = second.GatewayEndpoint, ClusterId = clusterId });
            var management = connection.Client.GetGrain<IManagementGrain>(0);
            await Eventually.MatchesAsync(() => management.GetHosts(onlyActive: true), hosts => hosts.Count == 2,
                TimeSpan.FromSeconds(30), "both coordinators to be active members of one cluster");
            await connection.Worker("redis-worker").RegisterAsync(new WorkerInfo { Host = "box", GrpcEndpoint = "127.0.0.1:7700", Pid = 7 });
            using var viaFirst = ControlClient.Connect(first.ControlAddress.ToString());
            using var viaSecond = ControlClient.Connect(second.ControlAddress.ToString());

            var submitted = await viaFirst.SubmitAsync(new JobSpec { JobId = "shared-job", DataDir = "/d", RunDir = "/r", WorldSize = 1 });
            Assert.Equal(JobState.Forming, submitted.State);
            Assert.Equal("redis-worker", Assert.Single(submitted.Members).WorkerId);

            var seenBySecond = await viaSecond.GetJobAsync("shared-job");
            Assert.Equal((JobState.Forming, submitted.Version), (seenBySecond.State, seenBySecond.Version));
            cancelled = await viaSecond.CancelAsync("shared-job", "moving on");
            Assert.Equal(JobState.Cancelled, (await viaFirst.GetJobAsync("shared-job")).State);
            var waiting = await viaFirst.SubmitAsync(new JobSpec { JobId = "waiting-job", DataDir = "/d", RunDir = "/r", WorldSize = 2 });
            Assert.Equal(JobState.Pending, waiting.State);

            await second.StopAsync();
            await first.StopAsync();
        }

        await using var third = CoordinatorHost.Create([], CoordinatorSettings.OnFreePorts(clusterId, redis.ConnectionString));
        await third.StartAsync();
        using var viaThird = ControlClient.Connect(third.ControlAddress.ToString());

        // The pending job resumed on its own: a second worker registering lets it form without anyone asking about it.
        await using (var connection = await CoordinatorConnection.ConnectAsync(
            new CoordinatorConnectionOptions { Gateways = third.GatewayEndpoint, ClusterId = clusterId }))
        {
            await connection.Worker("redis-worker-2").RegisterAsync(new WorkerInfo { Host = "box", GrpcEndpoint = "127.0.0.1:7701", Pid = 8 });
            var workers = await Eventually.MatchesAsync(() => viaThird.ListWorkersAsync(), ws => ws.All(w => w.JobId == "waiting-job"),
                TimeSpan.FromSeconds(20), "the restored pending job to claim both workers");
            Assert.Equal(["redis-worker", "redis-worker-2"], workers.Select(w => w.WorkerId));
        }

        var restored = await viaThird.GetJobAsync("shared-job");
        Assert.Equal((JobState.Cancelled, cancelled.Version), (restored.State, restored.Version));
        Assert.Equal(cancelled.History.Select(h => h.Reason), restored.History.Select(h => h.Reason));
        Assert.Equal(["shared-job", "waiting-job"], (await viaThird.ListJobsAsync()).Select(j => j.JobId));
        Assert.Equal(JobState.Forming, (await viaThird.GetJobAsync("waiting-job")).State);
        await third.StopAsync();
    }
}
