using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Pretrained;
using static TorchSharp.torch;
using Orchestrator.Common.Storage;
using Orchestrator.Training;

namespace Orchestrator.Inference.Export;

/// <summary>
/// Writes a trained GPT as a Hugging Face GPT-2 directory that transformers' <c>GPT2LMHeadModel.from_pretrained</c>
/// loads: <c>config.json</c>, <c>model.safetensors</c> in <see cref="HfGpt2Layout"/> (Conv1D weights transposed back
/// to [in, out], missing biases as zeros, the head only when untied) and the tokenizer where Hugging Face can express
/// it exactly: GPT-2's as <c>vocab.json</c> + <c>merges.txt</c>, our byte-level BPE as <c>tokenizer.json</c>.
/// </summary>
public static class HfGpt2Export
{
    /// <summary>Writes the files into <paramref name="directory"/> (which must exist and be empty); returns the names written.</summary>
    public static IReadOnlyList<string> Write(TrainedModel trained, string directory, ILogger logger)
    {
        var config = trained.Model.Config;
        if (config.Model != "gpt")
            throw new ExportException($"--format hf writes GPT-2's layout and needs a gpt model, but '{trained.Directory}' holds a {config.Model}: use --format safetensors");
        var written = new List<string>();
        using (var scope = NewDisposeScope())
        {
            var weights = ModelExport.Weights(trained.Model);
            var tensors = new List<TensorBytes>();
            foreach (var tensor in HfGpt2Layout.Tensors(config, config.BlockSize))
            {
                // Ours may lack biases (bias = false): transformers' GPT-2 always has them, and zeros change nothing.
                var ours = weights.TryGetValue(tensor.Ours, out var w) ? w : zeros(tensor.Transposed ? tensor.HfShape.Reverse().ToArray() : tensor.HfShape);
                var hf = tensor.Transposed ? ours.t() : ours;
                var name = tensor.Hf == HfGpt2Layout.Head ? tensor.Hf : HfGpt2Layout.TransformerPrefix + tensor.Hf;
                tensors.Add(TensorBytes.Copy(name, hf.to(ScalarType.Float32)));
            }
            DurableFiles.Write(Path.Combine(directory, HfGpt2Directory.WeightsFile),
                stream => SafetensorsFile.Write(stream, tensors, new Dictionary<string, string> { ["format"] = "pt" }));
            written.Add(HfGpt2Directory.WeightsFile);
        }
        DurableFiles.WriteText(Path.Combine(directory, HfGpt2Directory.ConfigFile), ConfigJson(config, trained.Tokenizer).ToJsonString(Indented));
        written.Add(HfGpt2Directory.ConfigFile);
        written.AddRange(HfTokenizerFiles.Write(trained.Tokenizer, trained.Directory, directory, logger));
        return written;
    }

    /// <summary>transformers' GPT2Config for <paramref name="config"/>.</summary>
    public static JsonObject ConfigJson(ModelConfig config, ITextTokenizer tokenizer)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["vocab_size"] = config.VocabSize,
            ["n_positions"] = config.BlockSize,
            ["n_ctx"] = config.BlockSize,
            ["n_embd"] = config.NEmbd,
            ["n_layer"] = config.NLayer,
            ["n_head"] = config.NHead,
            ["n_inner"] = null,
            ["activation_function"] = config.Activation, // ours: gelu (exact) or gelu_new (tanh), the same names in transformers
            ["resid_pdrop"] = config.Dropout,
            ["embd_pdrop"] = config.Dropout,
            ["attn_pdrop"] = config.Dropout,
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["initializer_range"] = 0.02,
            ["scale_attn_weights"] = true,
            ["tie_word_embeddings"] = config.TieWeights,
            ["torch_dtype"] = "float32",
        };
        if (tokenizer.EndOfTextId is { } eot)
        {
            json["bos_token_id"] = eot;
            json["eos_token_id"] = eot;
        }
        return json;
    }

    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

/// <summary>A model that cannot be exported in the format asked for; the message says which formats it can take.</summary>
public sealed class ExportException(string message) : Exception(message);
