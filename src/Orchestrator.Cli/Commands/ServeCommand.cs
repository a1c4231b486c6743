using System.CommandLine;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator serve</c>: an OpenAI-style completions server (HTTP + SSE, gRPC) with continuous batching and a playground at <c>/</c>.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint directory (or a run directory: its latest checkpoint; or a Hugging Face GPT-2 directory)" };
        var port = new Option<int>("--port") { Description = "HTTP port (0 = free port)", DefaultValueFactory = _ => 8000 }.Between(0, 65535);
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port [default: --port + 1]" }.Between(0, 65535);
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together per step", DefaultValueFactory = _ => 8 }.AtLeast(1);
        var queue = new Option<int>("--queue") { Description = "Waiting requests before answering 429", DefaultValueFactory = _ => 64 }.AtLeast(0);
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = all cores)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var modelName = new Option<string?>("--model-name") { Description = "Name served in /v1/models [default: the run's directory name]" };
        var command = new Command("serve", "Serve a checkpoint over an OpenAI-style HTTP API and gRPC") { checkpoint, port, grpcPort, host, device, maxBatch, queue, threads, modelName };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServingOptions
            {
                CheckpointPath = parse.GetValue(checkpoint)!,
                Port = parse.GetValue(port),
                GrpcPort = parse.GetValue(grpcPort),
                Host = parse.GetValue(host)!,
                Device = parse.GetValue(device)!,
                MaxBatch = parse.GetValue(maxBatch),
                QueueCapacity = parse.GetValue(queue),
                Threads = parse.GetValue(threads),
                ModelName = parse.GetValue(modelName),
            };
            await using var server = await ServingHost.BuildAsync(options, ServeLogging, cancellationToken);
            try
            {
                await server.RunAsync(cancellationToken);
            }
            catch (IOException e) when (e.InnerException is AddressInUseException)
            {
                throw new IOException(BusyPort.Describe(options, e), e);
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The server's log on standard error, one line per message; the host's own report of a failed start is left out,
    /// since the command reports it in one line (see <see cref="BusyPort"/>).
    /// </summary>
    private static void ServeLogging(ILoggingBuilder logging) => logging
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Grpc", LogLevel.Warning)
        .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
        .AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Critical);
}
