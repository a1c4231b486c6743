namespace Orchestrator.Collective;

/// <summary>The element-wise reduction of an all-reduce.</summary>
public enum ReduceOp
{
    Sum,

    /// <summary>The sum divided by the world size: what data-parallel training does to gradients.</summary>
    Average,

    Max,

    Min,
}
