using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Training;
using Orchestrator.Training.Configuration;

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

    private static readonly JsonSerializerOptions Json = new();

    /// <summary>Reads a job file; an unknown key anywhere in it is refused naming the closest known one.</summary>
    public static JobFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"job file '{path}' does not exist", path);
        var json = File.ReadAllText(path);
        StrictJson.EnsureKnownKeys<JobFile>(json, Json, $"job file '{path}'");
        try
        {
            var job = JsonSerializer.Deserialize<JobFile>(json, Json) ?? throw new JsonException("the file is empty");
            // Like train: a warm-up the job does not choose adapts to its length.
            return job.Config is { } config && !AdaptiveWarmup.IsSetIn(JsonDocument.Parse(json).RootElement.GetProperty("config").GetRawText())
                ? job with { Config = AdaptiveWarmup.Apply(config) }
                : job;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"job file '{path}' is not valid JSON ({e.Message}): see README 'Submitting jobs' for its fields");
        }
    }

    /// <summary>
    /// The spec to submit; the coordinator checks it. vocab_size may be left out: the data path is the workers' path, so
    /// the workers take it from the data they open (<see cref="RunConfig.WithVocabularyOf"/>), and submitting needs no
    /// access to the data. job_id may be left out too: the coordinator then names the job, and submit prints the name.
    /// </summary>
    public JobSpec ToSpec()
    {
        var config = Config ?? throw new ArgumentException("the job file has no \"config\": add {\"model\": {...}, \"training\": {...}}");
        config.ValidateBeforeData();
        return new JobSpec
        {
            JobId = JobId,
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
