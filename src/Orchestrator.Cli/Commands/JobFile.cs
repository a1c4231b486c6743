using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Training;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The JSON a user submits with <c>orchestrator submit JOB.json</c>: where the data and run live, how many workers,
/// and the same <c>config</c> object as <c>train --config</c>. Paths must be valid on the workers' machines.
/// </summary>
internal sealed record JobFile
{
    [JsonPropertyName("job_id")] public string JobId { get; init; } = "";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("run_dir")] public string RunDir { get; init; } = "";
    [JsonPropertyName("workers")] public int Workers { get; init; } = 1;
    [JsonPropertyName("min_workers")] public int? MinWorkers { get; init; }
    [JsonPropertyName("max_workers")] public int? MaxWorkers { get; init; }
    [JsonPropertyName("max_restarts")] public int MaxRestarts { get; init; }
    [JsonPropertyName("resume")] public bool Resume { get; init; }
    [JsonPropertyName("config")] public RunConfig? Config { get; init; }

    public static JobFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"job file '{path}' does not exist", path);
        try
        {
            return JsonSerializer.Deserialize<JobFile>(File.ReadAllText(path))
                   ?? throw new JsonException("the file is empty");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"job file '{path}' is not valid JSON ({e.Message}): see README 'Submitting jobs' for its fields");
        }
    }

    public JobSpec ToSpec(int vocabSize)
    {
        var config = Config ?? throw new ArgumentException("the job file has no \"config\": add {\"model\": {...}, \"training\": {...}}");
        config = config with { Model = config.Model with { VocabSize = config.Model.VocabSize > 0 ? config.Model.VocabSize : vocabSize } };
        config.Validate();
        return new JobSpec
        {
            JobId = JobId.Length > 0 ? JobId : $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}",
            DataDir = Data,
            RunDir = RunDir,
            ConfigJson = config.ToJson(),
            WorldSize = Workers,
            MinWorkers = MinWorkers,
            MaxWorkers = MaxWorkers,
            MaxRestarts = MaxRestarts,
            Resume = Resume,
        };
    }
}
