using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Client;

namespace Orchestrator.Worker;

/// <summary>
/// Every call a worker makes to the coordinator goes through here, so a coordinator that is down or restarting costs
/// nothing but waiting: transient failures are retried with backoff (logged, with how long the coordinator has been
/// silent) while training goes on, and the worker gives up only when no call at all has succeeded for
/// <see cref="WorkerOptions.CoordinatorLossTimeout"/>.
/// </summary>
internal sealed class CoordinatorLink(CoordinatorConnection connection, WorkerOptions options, ILogger logger, TimeProvider clock)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MinCallWait = TimeSpan.FromSeconds(1);
    private long _lastContactTicks = clock.GetUtcNow().UtcTicks;
    private int _failing;

    public CoordinatorConnection Connection => connection;

    private TimeSpan SinceLastContact => clock.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastContactTicks), TimeSpan.Zero);

    /// <summary>
    /// Runs <paramref name="call"/> until it succeeds. Throws <see cref="CoordinatorUnavailableException"/> once the
    /// coordinator has been unreachable for longer than the loss timeout; errors the coordinator itself raised
    /// (a refused report, a protocol error) are not retried.
    /// </summary>
    public async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var backoff = options.HeartbeatInterval;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // A call to a coordinator that died hangs for Orleans' response timeout (30 s): wait no longer than
                // what is left of the loss timeout, so a worker gives up when the user said it should.
                var left = options.CoordinatorLossTimeout - SinceLastContact;
                var result = await call().WaitAsync(left > MinCallWait ? left : MinCallWait, clock, cancellationToken);
                Succeeded();
                return result;
            }
            catch (Exception e) when (IsTransient(e))
            {
                var silent = SinceLastContact;
                if (silent > options.CoordinatorLossTimeout)
                {
                    throw new CoordinatorUnavailableException(
                        $"worker '{options.WorkerId}' lost the coordinator at {options.Coordinator}: nothing got through for {silent.TotalSeconds:F0} s " +
                        $"(--coordinator-loss-timeout {options.CoordinatorLossTimeout.TotalSeconds:F0} s; last try: {what}: {e.Message}); " +
                        "restart the coordinator with its state directory, or raise the timeout", e);
                }

                Interlocked.Exchange(ref _failing, 1);
                WorkerLog.CoordinatorUnreachable(logger, what, attempt, silent.TotalSeconds, e.Message);
                await Task.Delay(backoff, clock, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    public Task CallAsync(string what, Func<Task> call, CancellationToken cancellationToken) =>
        CallAsync(what, async () =>
        {
            await call();
            return true;
        }, cancellationToken);

    /// <summary>The coordinator or the way to it failed (down, restarting, timed out), as opposed to an error it reported.</summary>
    public static bool IsTransient(Exception e) => e is OrleansException or TimeoutException;

    private void Succeeded()
    {
        var silent = SinceLastContact;
        Interlocked.Exchange(ref _lastContactTicks, clock.GetUtcNow().UtcTicks);
        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            WorkerLog.CoordinatorReachable(logger, options.Coordinator, silent.TotalSeconds);
        }
    }
}
