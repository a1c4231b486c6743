using System.Net;
using System.Net.Sockets;
using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// <c>serve</c> on a port that is taken fails in one line naming the port and the flag that moves it, the implicit
/// gRPC port (HTTP + 1) included, instead of the host's multi-kilobyte stack trace.
/// </summary>
public sealed class ServeTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    [Fact]
    public async Task A_busy_http_port_is_one_error_line_naming_the_port()
    {
        using var taken = Listen(out var port);

        var result = await CliRun.InvokeAsync("serve", tiny.Run, "--port", $"{port}", "--grpc-port", "0", "--threads", "1");

        var line = result.AssertOneLineError($"--port {port}", "already in use");
        Assert.True(result.Stderr.Length < 400, result.Describe());
        Assert.DoesNotContain("--grpc-port", line);
    }

    [Fact]
    public async Task A_busy_implicit_grpc_port_is_named_as_http_port_plus_one()
    {
        using var taken = ListenBelowFree(out var httpPort);

        var result = await CliRun.InvokeAsync("serve", tiny.Run, "--port", $"{httpPort}", "--threads", "1");

        result.AssertOneLineError($"gRPC port {httpPort + 1}", "--port + 1", "--grpc-port");
    }

    private static TcpListener Listen(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    /// <summary>Holds a port whose predecessor is free, so serve gets HTTP on the free one and fails on the held one (HTTP + 1).</summary>
    private static TcpListener ListenBelowFree(out int httpPort)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var candidate = Random.Shared.Next(20_000, 32_000);
            var held = new TcpListener(IPAddress.Loopback, candidate + 1);
            try
            {
                held.Start();
            }
            catch (SocketException)
            {
                continue;
            }
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, candidate);
                probe.Start();
            }
            catch (SocketException)
            {
                held.Stop();
                continue;
            }
            httpPort = candidate;
            return held;
        }
        throw new InvalidOperationException("no free pair of neighbouring ports below 32000");
    }
}
