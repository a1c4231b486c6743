using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Checkpoints;
using static TorchSharp.torch;
using Orchestrator.Common.Storage;
using Orchestrator.Training;

namespace Orchestrator.Inference.Export;

/// <summary>
/// <c>orchestrator export</c>: a checkpoint's model as a self-contained directory for other tools. <c>hf</c> is
/// transformers' GPT-2 layout (gpt only); <c>safetensors</c> is our own state dict with its config.json and tokenizer,
/// for any model family. LoRA adapters are folded into the weights first (<c>merge</c>). The directory is written
/// beside its final name and renamed into place, so it appears complete or not at all.
/// </summary>
public static class ModelExport
{
    public static readonly IReadOnlyList<string> Formats = ["hf", "safetensors"];

    public static IReadOnlyList<string> Write(TrainedModel trained, string format, string outDirectory, bool merge, ILogger logger)
    {
        if (!Formats.Contains(format))
            throw new ExportException($"unknown export format '{format}': use {string.Join(" or ", Formats)}");
        if (format == "hf" && trained.Model.Config.Model != "gpt")
            throw new ExportException($"--format hf writes GPT-2's layout and needs a gpt model, but '{trained.Directory}' holds a {trained.Model.Config.Model}: use --format safetensors");
        if (trained.Model.Config.Lora is not null && !merge)
            throw new ExportException($"'{trained.Directory}' holds LoRA adapters on a base model: pass --merge to fold them into the weights");
        var full = Path.GetFullPath(outDirectory);
        if (File.Exists(full) || (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()))
            throw new ExportException($"--out '{outDirectory}' already exists and is not empty: choose a new directory (export never overwrites)");
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temporary = Path.Combine(parent, $".tmp-export-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            var written = format == "hf" ? HfGpt2Export.Write(trained, temporary, logger) : WriteSafetensors(trained, temporary);
            DurableFiles.FlushDirectory(temporary);
            if (Directory.Exists(full)) Directory.Delete(full); // empty, checked above
            Directory.Move(temporary, full);
            DurableFiles.FlushDirectory(parent);
            return written;
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    /// <summary>The model's weights under our names with any adapters folded in (the state dict of the same model without them), on the CPU.</summary>
    public static Dictionary<string, Tensor> Weights(LanguageModel model) =>
        (model.Config.Lora is null
            ? model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach())
            : LoraWeights.Merged(model))
        .ToDictionary(kv => kv.Key, kv => kv.Value.cpu());

    private static IReadOnlyList<string> WriteSafetensors(TrainedModel trained, string directory)
    {
        var written = new List<string>();
        using (var scope = NewDisposeScope())
        {
            var tensors = Weights(trained.Model).Select(kv => TensorBytes.Copy(kv.Key, kv.Value)).ToArray();
            DurableFiles.Write(Path.Combine(directory, CheckpointFiles.Model), stream => SafetensorsFile.Write(stream, tensors));
            written.Add(CheckpointFiles.Model);
        }
        var config = trained.Config with { Model = trained.Config.Model with { Lora = null }, InitFrom = null };
        DurableFiles.Write(Path.Combine(directory, CheckpointFiles.Config), stream => JsonSerializer.Serialize(stream, config, RunConfig.JsonOptions));
        written.Add(CheckpointFiles.Config);
        foreach (var name in TokenizerStore.FilesIn(trained.Directory))
        {
            DurableFiles.Copy(Path.Combine(trained.Directory, name), Path.Combine(directory, name));
            written.Add(name);
        }
        return written;
    }
}
