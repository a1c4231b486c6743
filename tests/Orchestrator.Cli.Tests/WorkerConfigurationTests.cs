using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary><c>worker</c> reads the <c>Orchestrator:Worker</c> section (here from the environment), and a flag on the command line wins over it.</summary>
public sealed class WorkerConfigurationTests
{
    [Fact]
    public async Task Worker_settings_come_from_the_environment_and_a_given_flag_wins_over_them()
    {
        Environment.SetEnvironmentVariable("Orchestrator__Worker__Threads", "-1");
        Environment.SetEnvironmentVariable("Orchestrator__Worker__CoordinatorLossTimeout", "00:00:00.100");
        try
        {
            var result = await CliRun.InvokeAsync("worker", "--coordinator", "127.0.0.1:1", "--threads", "2");

            var line = result.AssertOneLineError("--coordinator-loss-timeout (Orchestrator:Worker:CoordinatorLossTimeout) must exceed the heartbeat interval");
            Assert.DoesNotContain("--threads", line);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Orchestrator__Worker__Threads", null);
            Environment.SetEnvironmentVariable("Orchestrator__Worker__CoordinatorLossTimeout", null);
        }
    }
}
