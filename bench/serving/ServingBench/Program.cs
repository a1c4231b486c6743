using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using ServingBench;
using TorchSharp;

// Serving benchmark: decoding cost with and without a KV cache, then streaming clients against a real server.
// Run through bench/serving/run.sh, which builds in Release and passes the corpus path.
var settings = BenchSettings.Parse(args);
var corpus = Environment.GetEnvironmentVariable("SERVING_BENCH_CORPUS") ?? Path.GetFullPath("../shared/data/tinyshakespeare.txt");
if (settings.Threads > 0) torch.set_num_threads(settings.Threads);
var checkpoint = settings.Checkpoint ?? EnsureCheckpoint(corpus);
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"Load average at start: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores.");
var invariant = CultureInfo.InvariantCulture;

// 1. One token at context C: full recomputation vs KV cache.
var device = TorchDevices.Parse(settings.Device);
using (var trained = TrainedModel.Load(checkpoint, device))
using Orchestrator.Inference;
{
    var block = trained.Model.MaxDecodingLength ?? 1024;
    var prompt = BenchCheckpoint.Prompt(trained.Tokenizer, corpus, block);
    report.AppendLine(invariant, $"Model: {trained.Config.Model.NLayer} layers, {trained.Config.Model.NHead} heads, n_embd {trained.Config.Model.NEmbd}, block_size {block}, vocab {trained.Config.Model.VocabSize}, {trained.Model.ParameterCount():N0} parameters, {settings.Device}, {torch.get_num_threads()} torch threads.");
    report.AppendLine();
    report.AppendLine("| context | full recompute tok/s | KV cache tok/s (ForwardIncremental) | KV slots tok/s (server path) | KV speed-up (wall) | CPU ms/token full / KV | KV speed-up (CPU) |");
    report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var context in settings.Contexts.Append(block).Where(c => c <= block).Distinct())
    {
        var row = DecodingBench.Measure(trained.Model, device, prompt, context, settings.Repeats);
        report.AppendLine(invariant, $"| {context}{(context == block ? " (max)" : "")} | {1 / row.FullSeconds:F1} | {1 / row.KvSeconds:F1} | {1 / row.SlotSeconds:F1} | {row.FullSeconds / row.KvSeconds:F1}× | {row.FullCpuSeconds * 1000:F1} / {row.KvCpuSeconds * 1000:F2} | {row.FullCpuSeconds / row.KvCpuSeconds:F1}× |");
        Console.Error.WriteLine($"decoding at context {context}: full {row.FullSeconds * 1000:F2} ms, kv {row.KvSeconds * 1000:F2} ms, slots {row.SlotSeconds * 1000:F2} ms");
    }

    // What one step of the decoding loop costs as the batch grows (context 64 per sequence).
    report.AppendLine();
    report.AppendLine("| decode batch | CPU ms per step | tokens per CPU second | relative to batch 1 |");
    report.AppendLine("|---:|---:|---:|---:|");
    double? single = null;
    foreach (var batch in new[] { 1, 2, 4, 8 }.Where(b => b <= settings.Clients).Append(settings.Clients).Distinct())
    {
        var seconds = DecodingBench.MeasureBatchStep(trained.Model, device, prompt, 64, batch, settings.Repeats * 4);
        single ??= seconds;
        report.AppendLine(invariant, $"| {batch} | {seconds * 1000:F2} | {batch / seconds:F0} | {batch / seconds / (1 / single.Value):F2}× |");
    }
}

// 2. Streaming clients against the server: 1 client, then N at once, alternating, medians over rounds.
var options = new ServingOptions { CheckpointPath = checkpoint, Port = 0, Device = settings.Device, Threads = settings.Threads, MaxBatch = settings.Clients, QueueCapacity = 64 };
await using (var host = await ServingHost.BuildAsync(options, logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)))
{
    await host.StartAsync();
    using var http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromMinutes(10) };
    await LoadBench.RunAsync(host, http, settings.Clients, 16, seed: 0); // warm-up: JIT, connection pool, kernels at batch N
    var residentBefore = Process.GetCurrentProcess().WorkingSet64;
    var single = new List<LoadRound>();
    var many = new List<LoadRound>();
    for (var round = 1; round <= settings.Rounds; round++)
    {
        single.Add(await LoadBench.RunAsync(host, http, 1, settings.MaxTokens, round));
        many.Add(await LoadBench.RunAsync(host, http, settings.Clients, settings.MaxTokens, round));
        Console.Error.WriteLine($"round {round}: 1 client {single[^1].AggregateTokensPerSecond:F1} tok/s, {settings.Clients} clients {many[^1].AggregateTokensPerSecond:F1} tok/s");
    }
    var residentAfter = Process.GetCurrentProcess().WorkingSet64;

    static double Median(IEnumerable<double> values) { var v = values.Order().ToArray(); return v[v.Length / 2]; }
    var singleRate = Median(single.Select(r => r.AggregateTokensPerSecond));
    var manyRate = Median(many.Select(r => r.AggregateTokensPerSecond));
    report.AppendLine();
    report.AppendLine(invariant, $"Streaming clients (HTTP/1.1 SSE on loopback, prompt \"ROMEO:\", max_tokens {settings.MaxTokens}, temperature 0.8, max batch {settings.Clients}); medians of {settings.Rounds} rounds:");
    report.AppendLine();
    report.AppendLine("| clients | aggregate tok/s | per-client tok/s | TTFT median ms | TTFT max ms | forwards per round | tokens per forward |");
    report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var rounds in new[] { single, many })
    {
        var clients = rounds[0].Clients;
        report.AppendLine(invariant,
            $"| {clients} | {Median(rounds.Select(r => r.AggregateTokensPerSecond)):F1} | {Median(rounds.SelectMany(r => r.Runs).Select(r => r.Tokens / r.Seconds)):F1} | " +
            $"{Median(rounds.Select(r => r.MedianTimeToFirstToken)) * 1000:F1} | {Median(rounds.Select(r => r.MaxTimeToFirstToken)) * 1000:F1} | " +
            $"{Median(rounds.Select(r => (double)r.Forwards)):F0} | {Median(rounds.Select(r => r.TokensPerForward)):F2} |");
    }
    report.AppendLine();
    report.AppendLine(invariant, $"Aggregate speed-up, {settings.Clients} clients over 1: **{manyRate / singleRate:F2}×**. Process resident memory {residentBefore / 1048576.0:F0} MiB before the measured rounds, {residentAfter / 1048576.0:F0} MiB after.");
}

report.AppendLine(invariant, $"Load average at end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}.");
Console.WriteLine(report.ToString());
if (settings.Markdown is { } markdown) File.WriteAllText(markdown, report.ToString());

static string EnsureCheckpoint(string corpus)
{
    var directory = Path.GetFullPath(Path.Combine("bench", "out", "serving"));
    var existing = Path.Combine(directory, "baby-gpt-1024", "checkpoints");
    if (Directory.Exists(existing) && Directory.EnumerateDirectories(existing, "step-*").FirstOrDefault() is { } found) return found;
    Directory.CreateDirectory(directory);
    return BenchCheckpoint.Create(directory, corpus);
}
