using Grpc.Core;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Control;

namespace Orchestrator.Cluster.Tests.Control;

/// <summary>What the CLI makes of a failed control call: a broken transport is "unreachable", a server's error is not.</summary>
public sealed class ControlErrorsTests
{
    [Fact]
    public void A_transport_that_breaks_mid_call_reads_as_an_unreachable_coordinator()
    {
        var broken = new RpcException(new Status(StatusCode.Internal, "Error reading next message.", new IOException("The connection was reset")));

        var error = Assert.IsType<CoordinatorUnavailableException>(ControlErrors.FromRpcException(broken, "https://coord:5050"));
        Assert.Contains("coordinator control API at https://coord:5050 is unreachable", error.Message);
    }

    [Fact]
    public void An_internal_error_of_the_server_itself_stays_as_it_came()
    {
        var serverSide = new RpcException(new Status(StatusCode.Internal, "grain call failed"));

        Assert.Same(serverSide, ControlErrors.FromRpcException(serverSide, "https://coord:5050"));
    }
}
