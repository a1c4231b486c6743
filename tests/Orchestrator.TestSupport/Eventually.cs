namespace Orchestrator.TestSupport;

/// <summary>Polls an asynchronous probe until a condition holds, for state reached through timers and other grains.</summary>
public static class Eventually
{
    public static async Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"after {timeout.TotalSeconds:F1} s still waiting for {what}; last value: {value}");
            }

            await Task.Delay(50);
        }
    }
}
