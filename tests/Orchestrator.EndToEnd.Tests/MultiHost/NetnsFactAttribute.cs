namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// A fact that needs scripts/cluster-in-a-box.sh, i.e. root (network namespaces, veth pairs, tc). Skipped with the
/// reason when not root, unless ORCHESTRATOR_REQUIRE_NETNS=1 (set by scripts/test.sh, the CI run): then it runs and
/// fails, so CI cannot pass by silently skipping the multi-host tests.
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public const string RequireVariable = "ORCHESTRATOR_REQUIRE_NETNS";

    public NetnsFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess && Environment.GetEnvironmentVariable(RequireVariable) != "1")
            Skip = "needs root for network namespaces (scripts/cluster-in-a-box.sh); run as root, or set " +
                   $"{RequireVariable}=1 to make this a failure instead of a skip";
    }
}
