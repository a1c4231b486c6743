using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving.Completions;
using Orchestrator.Serving.Engine;
using Orchestrator.Serving.Hosting;
using Orchestrator.Telemetry;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using TorchSharp;
using Orchestrator.Inference;

namespace Orchestrator.Serving;

/// <summary>
/// A model server in this process: the checkpoint's model behind an OpenAI-style HTTP API, gRPC, health, metrics and a
/// playground. <c>orchestrator serve</c> calls <see cref="RunAsync(ServingOptions, CancellationToken)"/>; tests and
/// embedders call <see cref="BuildAsync"/>, <see cref="StartAsync"/> and read <see cref="Url"/> (port 0 picks a free port).
/// </summary>
public sealed class ServingHost : IAsyncDisposable
{
    /// <summary>Request bodies beyond this are refused with 413: prompts are bounded by the context anyway.</summary>
    public const long MaxRequestBodyBytes = 1 << 20;

    private readonly WebApplication _app;
    private readonly TrainedModel _trained;
    private readonly ListenOptions[] _endpoints;
    private readonly ContinuousBatcher _batcher;
    private int _disposed;

    private ServingHost(WebApplication app, TrainedModel trained, ListenOptions[] endpoints, ServingOptions options, ServedModel served)
    {
        (_app, _trained, _endpoints, Options, Model) = (app, trained, endpoints, options, served);
        _batcher = app.Services.GetRequiredService<ContinuousBatcher>();
    }

    public ServingOptions Options { get; }

    public ServedModel Model { get; }

    /// <summary>The HTTP address as bound, e.g. http://127.0.0.1:8000/; known after <see cref="StartAsync"/>.</summary>
    public Uri Url => Address(_endpoints[0]);

    /// <summary>The gRPC (cleartext HTTP/2) address as bound; known after <see cref="StartAsync"/>.</summary>
    public Uri GrpcUrl => Address(_endpoints[1]);

    /// <summary>Forward passes, batch sizes and tokens since start: how well the decoding loop batches.</summary>
    public BatcherStatistics Statistics => _batcher.Statistics;

    /// <summary>For tests that must control when requests are admitted (ContinuousBatcher.HoldAdmissionUntilWaiting).</summary>
    internal ContinuousBatcher Batcher => _batcher;

    /// <summary>
    /// Validates <paramref name="options"/>, loads the checkpoint onto the device and builds the server without starting
    /// it. Throws <see cref="InvalidServingOptionsException"/>, <see cref="InvalidRunConfigException"/> (device) or a
    /// checkpoint exception naming the path at fault.
    /// </summary>
    public static async Task<ServingHost> BuildAsync(ServingOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        var device = TorchDevices.Parse(options.Device);
        var trained = await Task.Run(() => TrainedModel.Load(options.CheckpointPath, device), cancellationToken).ConfigureAwait(false);
        try
        {
            var served = new ServedModel(options.ModelName ?? NameOf(trained.Directory), trained.Model, trained.Tokenizer, device,
                new DateTimeOffset(Directory.GetLastWriteTimeUtc(trained.Directory)).ToUnixTimeSeconds(), trained.Directory);
            var builder = WebApplication.CreateSlimBuilder();
            ConfigureLogging(builder.Logging, configureLogging);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
            var endpoints = new ListenOptions[2];
            var address = IPAddress.Parse(options.Host);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
                kestrel.Listen(address, options.Port, listen => (listen.Protocols, endpoints[0]) = (HttpProtocols.Http1, listen));
                kestrel.Listen(address, options.EffectiveGrpcPort, listen => (listen.Protocols, endpoints[1]) = (HttpProtocols.Http2, listen));
            });
            builder.AddOrchestratorTelemetry("server");
            builder.Services.AddServing(served, options);
            var app = builder.Build();
            app.MapServing();
            return new ServingHost(app, trained, endpoints, options, served);
        }
        catch
        {
            trained.Dispose();
            throw;
        }
    }

    /// <summary>Builds, starts and serves until <paramref name="cancellationToken"/> fires or the process is asked to stop.</summary>
    public static async Task RunAsync(ServingOptions options, CancellationToken cancellationToken = default)
    {
        await using var host = await BuildAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Warms the model up, then opens the ports; returns once requests are accepted.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _batcher.Start();
        await _batcher.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        ServingLog.Serving(_app.Logger, Model.Name, Model.Model.ParameterCount(), Model.Device.ToString(), Url, GrpcUrl);
    }

    /// <summary>Stops accepting requests, lets those in flight finish (up to 10 s), then stops the decoding loop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        await _batcher.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Starts and serves until <paramref name="cancellationToken"/> fires or the process gets Ctrl+C / SIGTERM.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _trained.Dispose();
    }

    /// <summary>The run's directory name for <c>RUN/checkpoints/step-N</c>, else the checkpoint directory's own name.</summary>
    private static string NameOf(string checkpointDirectory)
    {
        var directory = new DirectoryInfo(checkpointDirectory);
        return directory.Parent is { Name: "checkpoints", Parent: { } run } ? run.Name : directory.Name;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, Action<ILoggingBuilder>? configure)
    {
        logging.ClearProviders();
        if (configure is not null)
        {
            configure(logging);
            return;
        }
        logging.AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning);
    }

    private static Uri Address(ListenOptions endpoint)
    {
        var bound = endpoint.IPEndPoint ?? throw new InvalidOperationException("The server has not been started: call StartAsync first.");
        if (bound.Port == 0) throw new InvalidOperationException("The server has not been started: call StartAsync first.");
        var host = bound.Address.Equals(IPAddress.Any) ? "127.0.0.1" : bound.Address.ToString();
        return new UriBuilder(Uri.UriSchemeHttp, host, bound.Port).Uri;
    }
}
