using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// libtorch's OpenMP threads wait passively by default, so training next to another busy process keeps most of its
/// speed (bench/contention); a policy the user set wins. Checked as libgomp itself reports it (OMP_DISPLAY_ENV).
/// </summary>
public sealed class ThreadingDefaultsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Theory]
    [InlineData(null, null, "0")] // passive: no spinning at all (libgomp's own default spins 300,000 times)
    [InlineData("ACTIVE", null, "30000000000")]
    [InlineData(null, "300000", "300000")]
    public async Task OpenMP_waits_passively_unless_the_user_chose_a_policy(string? userPolicy, string? userSpinCount, string expectedSpinCount)
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        var environment = new Dictionary<string, string?>
        {
            ["OMP_DISPLAY_ENV"] = "VERBOSE",
            ["OMP_WAIT_POLICY"] = userPolicy,
            ["GOMP_SPINCOUNT"] = userSpinCount,
        };

        var result = await OrchestratorCli.RunAsync(TinyGpt.Train(data, _temp.Sub("run"), "--max-steps", "1"), environment: environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        // libgomp prints its settings when libtorch loads it: the policy it actually uses, not what we meant to set.
        Assert.Contains($"GOMP_SPINCOUNT = '{expectedSpinCount}'", result.Stderr);
    }

    public void Dispose() => _temp.Dispose();
}
