using System.Text.Json.Serialization;

namespace Orchestrator.Training.Progress;

/// <summary>
/// Where a step's wall time went, in seconds: forward and backward (with overlap on, gradient exchanges run during
/// it), waiting for the exchanges still running after backward, and the rest (loss sum, clipping, optimizer).
/// <see cref="CommunicationSeconds"/> spans the first exchange's start to the last one's end, so the hidden share
/// of communication is 1 − wait / communication. On a GPU, forward_backward counts kernel launches only.
/// <see cref="AllReduceBytes"/> is the float32 gradient bytes this rank handed to the all-reduce (0 alone): only trainable
/// parameters' gradients travel, so a LoRA run moves its adapters' bytes, not the model's.
/// <see cref="SendWaitSeconds"/> is the part of the communication this rank's own sends spent held up by its link to
/// the next rank (see <see cref="Distributed.IGradientSynchronizer.SendingTime"/>): it, not the wait, tells a slow link.
/// </summary>
public readonly record struct StepPhases(
    [property: JsonPropertyName("forward_backward_s")] double ForwardBackwardSeconds,
    [property: JsonPropertyName("allreduce_wait_s")] double AllReduceWaitSeconds,
    [property: JsonPropertyName("optimizer_s")] double OptimizerSeconds,
    [property: JsonPropertyName("communication_s")] double CommunicationSeconds,
    [property: JsonPropertyName("allreduce_bytes")] double AllReduceBytes = 0,
    [property: JsonPropertyName("send_wait_s")] double SendWaitSeconds = 0)
{
    /// <summary>Share of the communication span that overlapped backward (1 − wait / communication, in [0, 1]); null when nothing was exchanged.</summary>
    [JsonIgnore]
    public double? HiddenFraction => CommunicationSeconds > 0
        ? Math.Clamp(1 - AllReduceWaitSeconds / CommunicationSeconds, 0, 1)
        : null;

    public StepPhases Plus(StepPhases other) => new(ForwardBackwardSeconds + other.ForwardBackwardSeconds,
        AllReduceWaitSeconds + other.AllReduceWaitSeconds, OptimizerSeconds + other.OptimizerSeconds, CommunicationSeconds + other.CommunicationSeconds,
        AllReduceBytes + other.AllReduceBytes, SendWaitSeconds + other.SendWaitSeconds);

    public StepPhases Over(double steps) => steps <= 0 ? default : new(ForwardBackwardSeconds / steps,
        AllReduceWaitSeconds / steps, OptimizerSeconds / steps, CommunicationSeconds / steps, AllReduceBytes / steps, SendWaitSeconds / steps);
}
