namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>
/// Tests that start CLI processes and a Prometheus run one at a time: on a small machine two of them side by side
/// starve each other's training steps and scrapes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealProcessCollection
{
    public const string Name = "real processes";
}
