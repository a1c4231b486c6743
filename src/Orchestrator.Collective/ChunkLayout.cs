namespace Orchestrator.Collective;

/// <summary>
/// Splits a buffer of <paramref name="Length"/> elements into <paramref name="Parts"/> contiguous chunks whose sizes
/// differ by at most one (some are empty when the buffer is shorter than the ring), identically on every rank.
/// </summary>
internal readonly record struct ChunkLayout(long Length, int Parts)
{
    public long Start(int part) => Length * part / Parts;

    public long End(int part) => Length * (part + 1) / Parts;
}
