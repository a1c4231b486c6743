using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// A job across separate network stacks: a coordinator and workers in their own namespaces, each advertising its own
/// address and reaching the others only over the box's links, trains the same model as one worker.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class MultiHostTrainingTests(ITestOutputHelper output) : IDisposable
{
    // The loopback equivalence test's tolerances (DataParallelEquivalenceTests): float32 sums in another order.
    private const double RelativeTolerance = 1e-5;
    private const double AbsoluteTolerance = 1e-6;
    private const int Steps = 5;
    private readonly TempDirectory _temp = new();

    [NetnsFact]
    public async Task Three_hosts_train_the_same_parameters_as_one_worker_with_the_same_global_batch()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var box = await ClusterInABox.UpAsync(hosts: 4, linkMbit: 1000);
        using var cluster = await BoxCluster.StartAsync(box, _temp.Sub("cluster"), TimeSpan.FromSeconds(30));
        string three = _temp.Sub("three-hosts"), one = _temp.Sub("one-host");
        await cluster.SubmitAsync(Job("three", data, three, workers: 3, batchSize: 4), fromHost: "h1");
        await cluster.SubmitAsync(Job("one", data, one, workers: 1, batchSize: 12), fromHost: "h2");

        var done = await cluster.WaitForCompletionAsync("three", TimeSpan.FromMinutes(4));
        await cluster.WaitForCompletionAsync("one", TimeSpan.FromMinutes(4));

        // Every member reached its peers at its own namespace address, never loopback.
        Assert.Equal(3, done.Members.Count);
        var hosts = done.Members.Select(m => new Uri(m.GrpcEndpoint).Host).ToArray();
        Assert.All(done.Members, m => Assert.Equal(box.Address(m.WorkerId), new Uri(m.GrpcEndpoint).Host));
        Assert.Equal(3, hosts.Distinct().Count());
        output.WriteLine($"members: {string.Join(", ", done.Members.Select(m => $"rank {m.Rank} {m.WorkerId} {m.GrpcEndpoint}"))}");

        // status from another host, the human-readable table.
        var table = await box.CliAsync("h4", ["status", "--coordinator", cluster.ControlAddress]);
        Assert.True(table.ExitCode == 0, table.Describe());
        Assert.Contains("three", table.Stdout);
        Assert.Contains($"http://{box.Address("h3")}:", table.Stdout);

        var differences = ParameterDifference.Compare(FinalParameters(one), FinalParameters(three));
        var outside = differences.Where(d => d.MaxAbsDifference > RelativeTolerance * d.MaxAbsValue + AbsoluteTolerance).ToArray();
        Assert.True(outside.Length == 0, $"3 hosts x batch 4 differ from 1 worker x batch 12:\n{string.Join("\n", outside.Select(d => d.ToString()))}");
        output.WriteLine($"largest difference: {differences.MaxBy(d => d.MaxAbsDifference)}");
    }

    private static IReadOnlyDictionary<string, StoredTensor> FinalParameters(string run) =>
        SafetensorsFile.Read(Path.Combine(run, "checkpoints", $"step-{Steps:D8}", "model.safetensors"));

    private static object Job(string jobId, string data, string run, int workers, int batchSize) => new
    {
        job_id = jobId,
        data,
        run_dir = run,
        workers,
        config = new
        {
            model = new { model = "gpt", n_layer = 2, n_head = 2, n_embd = 32, block_size = 32, dropout = 0.0 },
            training = new
            {
                max_steps = Steps, batch_size = batchSize, global_batch_size = 12, seed = 7, warmup_steps = 0,
                eval_interval = 2, eval_batches = 1, log_interval = 1, checkpoint_interval = Steps, threads = 1,
            },
        },
    };

    public void Dispose() => _temp.Dispose();
}
