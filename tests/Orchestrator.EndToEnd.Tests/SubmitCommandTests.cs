using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.FaultTolerance;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// <c>submit</c> against a real coordinator: the coordinator is the one place a job is named and checked, so a job file
/// without a job id gets the coordinator's name, and a bad one comes back as one line naming the field.
/// </summary>
public sealed class SubmitCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Submit_without_a_job_id_prints_the_coordinators_name_for_it_and_a_bad_job_is_refused_in_one_line_naming_the_field()
    {
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(10));
        await cluster.WaitForCoordinatorAsync(TimeSpan.FromMinutes(1));

        var submitted = await OrchestratorCli.SucceedAsync("submit", WriteJob("unnamed", minWorkers: null), "--coordinator", cluster.ControlAddress);

        var named = Regex.Match(submitted.Stdout, @"^submitted (job-\d{8}-\d{6}-[0-9a-f]{4}): Pending$", RegexOptions.Multiline);
        Assert.True(named.Success, submitted.Describe());
        var job = await cluster.Control.GetJobAsync(named.Groups[1].Value);
        Assert.Equal((JobState.Pending, 2), (job.State, job.Spec.WorldSize));

        var refused = await OrchestratorCli.RunAsync("submit", WriteJob("too-few", minWorkers: 3), "--coordinator", cluster.ControlAddress);
        OneLineError.Assert(refused, "min workers 3", "world size 2");
        Assert.Equal([named.Groups[1].Value], (await cluster.Control.ListJobsAsync()).Select(j => j.JobId));
    }

    private string WriteJob(string name, int? minWorkers)
    {
        var file = Path.Combine(_temp.Path, $"{name}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            data = "/data/as/the/workers/see/it",
            run_dir = "/runs/as/the/workers/see/it",
            workers = 2,
            min_workers = minWorkers,
            config = new
            {
                model = new { model = "gpt", n_layer = 1, n_head = 1, n_embd = 8, block_size = 8 },
                training = new { max_steps = 1, batch_size = 1 },
            },
        }));
        return file;
    }

    public void Dispose() => _temp.Dispose();
}
