using Microsoft.Extensions.Logging;

namespace Orchestrator.Training.Compression;

/// <summary>Log lines of gradient compression, source-generated like <see cref="Progress.TrainingLog"/>.</summary>
internal static partial class CompressionLog
{
    [LoggerMessage(EventId = 120, Level = LogLevel.Information,
        Message = "PowerSGD rank {Rank} compresses {Matrices} weight matrices from step {StartStep} on: {WireElements} of {DenseElements} gradient floats travel per step ({Ratio:F1}x fewer)")]
    public static partial void PowerSgdPlan(ILogger logger, int rank, int matrices, int startStep, long wireElements, long denseElements, double ratio);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "gradient compression auto chose {Choice}: {Reason}")]
    public static partial void AutoChose(ILogger logger, string choice, string reason);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning,
        Message = "world size changed from {SavedWorldSize} to {WorldSize} since the checkpoint: PowerSGD error buffers reset to zero (they belonged to the old ranks), Q factors kept")]
    public static partial void ErrorsResetForWorldSize(ILogger logger, int savedWorldSize, int worldSize);

    [LoggerMessage(EventId = 123, Level = LogLevel.Warning,
        Message = "the checkpoint holds no PowerSGD state for rank {Rank} ({Detail}): starting from fresh Q factors and zero errors")]
    public static partial void NoSavedState(ILogger logger, int rank, string detail);

    [LoggerMessage(EventId = 124, Level = LogLevel.Information,
        Message = "gradient compression auto measures this formation's links during its first {Steps} steps (whole float32 gradients meanwhile)")]
    public static partial void AutoMeasuring(ILogger logger, int steps);
}
