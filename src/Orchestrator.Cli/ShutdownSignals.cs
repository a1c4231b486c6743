using System.Runtime.InteropServices;

namespace Orchestrator.Cli;

/// <summary>
/// SIGTERM (docker stop, pod deletion, systemd) and SIGINT (Ctrl+C) cancel the command's token, so every command shuts
/// down the way it does on Ctrl+C: a worker abandons its step, a coordinator leaves the cluster with its state saved.
/// A second signal is not intercepted, so it ends the process at once if the clean shutdown hangs.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;

    private ShutdownSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal)];
    }

    /// <summary>Cancelled by the first SIGTERM or SIGINT.</summary>
    public CancellationToken Token => _requested.Token;

    public static ShutdownSignals Register() => new();

    private void OnSignal(PosixSignalContext context)
    {
        if (_requested.IsCancellationRequested) return;
        context.Cancel = true;
        Console.Error.WriteLine($"{context.Signal}: shutting down (send it again to stop at once)");
        _requested.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _requested.Dispose();
    }
}
