using Orchestrator.Collective.Hosting;

namespace Orchestrator.Collective.Tests;

/// <summary>A group of ranks on real loopback gRPC servers, formed the way workers form one: every rank joins at once.</summary>
internal sealed class Ring : IAsyncDisposable
{
    private readonly CollectiveServer[] _ownedServers;

    private Ring(CollectiveGroup[] groups, CollectiveServer[] servers, CollectiveServer[] ownedServers)
    {
        Groups = groups;
        Servers = servers;
        _ownedServers = ownedServers;
    }

    public IReadOnlyList<CollectiveGroup> Groups { get; }

    public IReadOnlyList<CollectiveServer> Servers { get; }

    public int WorldSize => Groups.Count;

    /// <summary>Starts <paramref name="worldSize"/> servers of its own with the given options and joins them.</summary>
    public static async Task<Ring> StartAsync(int worldSize, Action<CollectiveOptions> configure)
    {
        var servers = await Task.WhenAll(Enumerable.Range(0, worldSize)
            .Select(_ => CollectiveServer.StartAsync(0, configure: configure)));
        return await JoinAsync(servers, servers);
    }

    /// <summary>Starts one server of its own per entry of <paramref name="configurePerRank"/>, each with its own options, and joins them.</summary>
    public static async Task<Ring> StartAsync(IReadOnlyList<Action<CollectiveOptions>> configurePerRank)
    {
        var servers = await Task.WhenAll(configurePerRank.Select(configure => CollectiveServer.StartAsync(0, configure: configure)));
        return await JoinAsync(servers, servers);
    }

    /// <summary>Joins a fresh group on the first <paramref name="worldSize"/> servers of a shared pool.</summary>
    public static Task<Ring> JoinAsync(IReadOnlyList<CollectiveServer> pool, int worldSize, bool compressBf16 = false) =>
        JoinAsync(pool.Take(worldSize).ToArray(), [], compressBf16);

    private static async Task<Ring> JoinAsync(CollectiveServer[] servers, CollectiveServer[] owned, bool compressBf16 = false)
    {
        var groupId = "test-" + Guid.NewGuid().ToString("N");
        var endpoints = servers.Select(s => s.Endpoint).ToArray();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var groups = await Task.WhenAll(servers.Select((server, rank) =>
            server.Node.JoinAsync(new RingMembership(groupId, rank, endpoints) { CompressBf16 = compressBf16 }, timeout.Token)));
        return new Ring(groups, servers, owned);
    }

    /// <summary>Runs <paramref name="work"/> on every rank concurrently, as separate worker processes would.</summary>
    public Task<T[]> OnEveryRankAsync<T>(Func<CollectiveGroup, Task<T>> work) =>
        Task.WhenAll(Groups.Select(group => Task.Run(() => work(group))));

    public async ValueTask DisposeAsync()
    {
        foreach (var group in Groups)
            await group.DisposeAsync();
        foreach (var server in _ownedServers)
            await server.DisposeAsync();
    }
}
