using Microsoft.Extensions.Logging;

namespace Orchestrator.Training.Progress;

/// <summary>The trainer's log lines, source-generated so a disabled level costs nothing and every field stays structured.</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "step {Step}/{MaxSteps} loss {Loss:F4} lr {LearningRate:E2} grad_norm {GradNorm:F3} tok/s {TokensPerSecond:F0} eta {Eta}")]
    public static partial void Step(ILogger logger, long step, long maxSteps, double loss, double learningRate, double gradNorm, double tokensPerSecond, TimeSpan eta);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "eval step {Step}: val loss {Loss:F4} perplexity {Perplexity:F2} bits/byte {BitsPerByte:F4} over {Tokens} tokens")]
    public static partial void Evaluation(ILogger logger, long step, double loss, double perplexity, double? bitsPerByte, long tokens);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning,
        Message = "step {Step} skipped on every worker: non-finite loss {Loss} or gradient norm {GradNorm} ({Skipped} skipped so far)")]
    public static partial void SkippedStep(ILogger logger, long step, double loss, double gradNorm, long skipped);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "checkpoint step {Step} written to {Directory}{BestNote}")]
    public static partial void CheckpointWritten(ILogger logger, long step, string directory, string bestNote);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information,
        Message = "resumed from {Directory} at step {Step} ({TokensSeen} tokens seen)")]
    public static partial void Resumed(ILogger logger, string directory, long step, long tokensSeen);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information,
        Message = "training {Model} with {Parameters} parameters on {Device}, rank {Rank}/{WorldSize}, global batch {GlobalBatch} x {BlockSize} tokens, {Threads} threads")]
    public static partial void Starting(ILogger logger, string model, long parameters, string device, int rank, int worldSize, long globalBatch, int blockSize, int threads);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning,
        Message = "{Skipped} consecutive non-finite steps ({FirstStep} to {LastStep}): rolled back to {Source} (step {Step}) on every worker, continuing with data position {DataPosition} past the batches that failed (rollback {Rollback} of at most {MaxRollbacks})")]
    public static partial void RolledBack(ILogger logger, int skipped, long firstStep, long lastStep, string source, long step, long dataPosition, long rollback, int maxRollbacks);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning,
        Message = "resuming with changed training option {Option}: checkpoint {Saved}, now {Current}")]
    public static partial void ChangedOption(ILogger logger, string option, string saved, string current);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information,
        Message = "fine-tuning from {Base} ({Format}): {Trainable} of {Parameters} parameters trainable{Adapters}")]
    public static partial void FineTuning(ILogger logger, string @base, string format, long trainable, long parameters, string adapters);
}
