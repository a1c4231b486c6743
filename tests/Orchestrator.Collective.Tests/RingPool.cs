using Orchestrator.Collective.Hosting;

namespace Orchestrator.Collective.Tests;

/// <summary>
/// Five loopback collective servers shared by the tests of the "ring" collection; each test joins its own group.
/// Small chunks and buckets make even modest buffers span many messages and buckets.
/// </summary>
public sealed class RingPool : IAsyncLifetime
{
    public const int ChunkBytes = 4096;
    public const long BucketBytes = 64 << 10;

    public IReadOnlyList<CollectiveServer> Servers { get; private set; } = [];

    public static void Configure(CollectiveOptions options)
    {
        options.ChunkBytes = ChunkBytes;
        options.BucketBytes = BucketBytes;
        options.OperationTimeout = TimeSpan.FromSeconds(30);
        options.ConnectTimeout = TimeSpan.FromSeconds(10);
    }

    public async Task InitializeAsync() =>
        Servers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => CollectiveServer.StartAsync(0, configure: Configure)));

    public async Task DisposeAsync()
    {
        foreach (var server in Servers)
            await server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RingCollection : ICollectionFixture<RingPool>
{
    public const string Name = "ring";
}
