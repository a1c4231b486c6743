using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Collective.Hosting;

namespace Orchestrator.Collective.Tests;

public sealed class HostingTests
{
    [Fact]
    public void Options_bind_from_the_Collective_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Collective:OperationTimeout"] = "00:00:07",
            ["Collective:ChunkBytes"] = "131072",
            ["Collective:CompressBf16"] = "true",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddCollective(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<CollectiveOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(7), options.OperationTimeout);
        Assert.Equal(131072, options.ChunkBytes);
        Assert.True(options.CompressBf16);
    }

    [Fact]
    public void An_out_of_range_chunk_size_is_refused_naming_the_option()
    {
        var refusal = Assert.Throws<ArgumentOutOfRangeException>(new CollectiveOptions { ChunkBytes = 100 }.Validate);

        Assert.Contains("Collective:ChunkBytes", refusal.Message);
    }
}
