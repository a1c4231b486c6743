namespace Orchestrator.Training.Pretrained;

/// <summary>
/// Pretrained weights that cannot be used as they are: a malformed Hugging Face directory, a missing or unexpected
/// tensor, a wrong shape, an architecture we do not build. The message names the file, the key and the shapes.
/// </summary>
public sealed class PretrainedModelException(string message) : Exception(message);
