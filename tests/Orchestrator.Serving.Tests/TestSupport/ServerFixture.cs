using Microsoft.Extensions.Logging;

namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>
/// One real server on loopback (Kestrel, free ports) for the tests that share it: loading the checkpoint and warming
/// the model up once keeps the suite fast. Tests that need other limits start their own with <see cref="StartAsync"/>.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServingHost? _host;

    public ServingHost Host => _host ?? throw new InvalidOperationException("The server fixture has not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await StartAsync(new ServingOptions { CheckpointPath = TestCheckpoint.Directory, Port = 0, Threads = 1, MaxBatch = 8, QueueCapacity = 32 });
        Http = new HttpClient { BaseAddress = _host.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }

    /// <summary>Builds and starts a server with warnings-only logging.</summary>
    public static async Task<ServingHost> StartAsync(ServingOptions options)
    {
        var started = await ServingHost.BuildAsync(options, logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        await started.StartAsync();
        return started;
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
