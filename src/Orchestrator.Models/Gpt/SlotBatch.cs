using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// The bookkeeping of one <see cref="KvCacheSlots"/> forward, worked out once and shared by every layer: token positions
/// <c>(B, T)</c>, the attention mask <c>(B, 1, T, Lk)</c>, and the flat rows, slots and positions where real tokens' keys go.
/// </summary>
internal sealed record SlotBatch(
    int[] Slots,
    int[] TokenCounts,
    Tensor Positions,
    Tensor Mask,
    int KeyLength,
    int? FirstSlot,
    Tensor? Gather,
    Tensor WriteRows,
    Tensor WriteSlots,
    Tensor WritePositions);
