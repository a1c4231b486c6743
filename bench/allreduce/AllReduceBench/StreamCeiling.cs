using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AllReduceBench;

/// <summary>
/// The framework's ceiling: one gRPC server stream between two processes carrying messages of the chunk size, with
/// no work at either end beyond gRPC's own (the server writes the same bytes every time, the client only notes each
/// message's length). Same Kestrel / SocketsHttpHandler settings as the ring's links. What the ring reaches per
/// link can be compared with this to tell the framework's cost from ours.
/// </summary>
internal static class StreamCeiling
{
    private static readonly Method<byte[], byte[]> ServeMethod = new(MethodType.ServerStreaming, "bench.Blob", "Stream",
        Marshallers.Create<byte[]>((_, _) => throw new InvalidOperationException("The server only reads the request."), c => c.PayloadAsNewBuffer()),
        Marshallers.Create<byte[]>(WriteBlob, _ => throw new InvalidOperationException("The server only writes blobs.")));

    private static readonly Method<byte[], BlobLength> ReadMethod = new(MethodType.ServerStreaming, "bench.Blob", "Stream",
        Marshallers.Create<byte[]>((m, c) => c.Complete(m), _ => []),
        Marshallers.Create<BlobLength>((_, _) => throw new InvalidOperationException("The client only reads blobs."), c => new BlobLength(c.PayloadLength)));

    /// <summary>"stream-server": serves blobs of the requested size until the client goes away.</summary>
    public static async Task<int> ServeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxSendMessageSize = 64 << 20);
        builder.Services.AddSingleton<BlobService>();
        await using var app = builder.Build();
        app.MapGrpcService<BlobService>();
        await app.StartAsync();
        Console.WriteLine($"ENDPOINT http://127.0.0.1:{new Uri(app.Urls.First()).Port}/");
        await Console.In.ReadLineAsync(); // the coordinator closes stdin when done
        await app.StopAsync();
        return 0;
    }

    /// <summary>"stream-client URI BYTES SECONDS": prints START when its timed window opens, then "END bytes seconds".</summary>
    public static async Task<int> ReadAsync(string[] args)
    {
        var messageBytes = int.Parse(args[1], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            InitialHttp2StreamWindowSize = new Orchestrator.Collective.CollectiveOptions().Http2WindowBytes,
            UseProxy = false,
        };
        using var channel = GrpcChannel.ForAddress(args[0], new GrpcChannelOptions
        {
            HttpHandler = handler, MaxReceiveMessageSize = 64 << 20, ThrowOperationCanceledOnCancellation = true,
        });
        using var stop = new CancellationTokenSource();
        var request = BitConverter.GetBytes(messageBytes);
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(ReadMethod, null, new CallOptions(cancellationToken: stop.Token), request);
        var stream = call.ResponseStream;
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed.TotalSeconds < 0.5 && await stream.MoveNext(stop.Token))
        {
        }

        Console.WriteLine("START");
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds && await stream.MoveNext(stop.Token))
            bytes += stream.Current.Bytes;
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"END {bytes} {elapsed}"));
        await stop.CancelAsync();
        return 0;
    }

    private static void WriteBlob(byte[] blob, SerializationContext context)
    {
        context.SetPayloadLength(blob.Length);
        context.GetBufferWriter().Write(blob);
        context.Complete();
    }

    private sealed record BlobLength(int Bytes);

    /// <summary>The hand-bound service; gRPC discovers <see cref="Bind"/> through the attribute.</summary>
    [BindServiceMethod(typeof(BlobStreamBinding), nameof(Bind))]
    internal abstract class BlobStreamBinding
    {
        public abstract Task Stream(byte[] request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context);

        public static void Bind(ServiceBinderBase binder, BlobStreamBinding? service) =>
            binder.AddMethod(ServeMethod, service is null ? null : new ServerStreamingServerMethod<byte[], byte[]>(service.Stream));
    }

    internal sealed class BlobService : BlobStreamBinding
    {
        public override async Task Stream(byte[] request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context)
        {
            var blob = new byte[BitConverter.ToInt32(request)];
            Array.Fill(blob, (byte)1);
            try
            {
                while (!context.CancellationToken.IsCancellationRequested)
                    await responseStream.WriteAsync(blob, context.CancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                // the client cancels the call when its window has closed
            }
        }
    }
}
