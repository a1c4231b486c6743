using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Fields 1–6 of the wire message <c>Chunk</c> (protos/collective.proto): which operation, step and element range a
/// payload belongs to. The receiver checks every field against its own view of the operation.
/// </summary>
internal readonly record struct ChunkHeader(
    ulong Operation, OperationKind Kind, ulong OperationElements, uint Step, ulong Offset, Encoding Encoding);
