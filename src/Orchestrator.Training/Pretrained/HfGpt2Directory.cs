using System.Text.Json;
using Orchestrator.Models;
using static TorchSharp.torch;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// A Hugging Face GPT-2 directory as transformers writes it for <c>GPT2LMHeadModel</c> / <c>GPT2Model</c>:
/// <c>config.json</c> (sizes, LayerNorm epsilon, activation) and <c>model.safetensors</c> (the layout of
/// <see cref="HfGpt2Layout"/>, keys with or without <c>transformer.</c>, causal-mask buffers ignored, the head absent
/// when tied). Reading checks every name and shape before any tensor is made, so a bad file fails with one error.
/// </summary>
public static class HfGpt2Directory
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    /// <summary>transformers' names for the tanh-approximated GELU (the same function) and for the exact one.</summary>
    private static readonly Dictionary<string, string> Activations = new(StringComparer.Ordinal)
    {
        ["gelu_new"] = "gelu_new", ["gelu_pytorch_tanh"] = "gelu_new", ["gelu_fast"] = "gelu_new", ["gelu"] = "gelu",
    };

    /// <summary>
    /// Whether <paramref name="path"/> is a Hugging Face model directory rather than one of our checkpoints or runs: its
    /// config.json describes a transformers model (top-level <c>n_embd</c> or <c>model_type</c>) and it has no checkpoint manifest.
    /// </summary>
    public static bool Is(string path)
    {
        var config = Path.Combine(path, ConfigFile);
        if (!Directory.Exists(path) || !File.Exists(config) || File.Exists(Path.Combine(path, Checkpoints.CheckpointManifest.FileName))) return false;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(config));
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && (json.RootElement.TryGetProperty("n_embd", out _) || json.RootElement.TryGetProperty("model_type", out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Our model configuration for the GPT-2 described by <paramref name="directory"/>'s config.json (dropout 0).</summary>
    public static ModelConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            root = json.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PretrainedModelException($"'{path}' is not valid JSON ({e.Message}): write it again with transformers' save_pretrained");
        }
        if (root.TryGetProperty("model_type", out var type) && type.GetString() != "gpt2")
            throw new PretrainedModelException($"'{path}' describes a '{type.GetString()}' model; --init-from reads GPT-2 (model_type gpt2) only");
        var nEmbd = Integer(root, path, "n_embd");
        if (root.TryGetProperty("n_inner", out var inner) && inner.ValueKind == JsonValueKind.Number && inner.GetInt32() != 4 * nEmbd)
            throw new PretrainedModelException($"'{path}' sets n_inner = {inner.GetInt32()}; our GPT's MLP is 4 x n_embd = {4 * nEmbd} wide");
        foreach (var unsupported in new[] { "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn" })
            if (root.TryGetProperty(unsupported, out var flag) && flag.ValueKind == JsonValueKind.True)
                throw new PretrainedModelException($"'{path}' sets {unsupported} = true, an attention variant our GPT does not implement");
        var activation = root.TryGetProperty("activation_function", out var a) ? a.GetString() ?? "" : "gelu_new";
        if (!Activations.TryGetValue(activation, out var ours))
            throw new PretrainedModelException($"'{path}' uses activation_function '{activation}'; our GPT implements {string.Join(", ", Activations.Keys)}");
        var config = new ModelConfig
        {
            Model = "gpt",
            VocabSize = Integer(root, path, "vocab_size"),
            BlockSize = root.TryGetProperty("n_positions", out _) ? Integer(root, path, "n_positions") : Integer(root, path, "n_ctx"),
            NLayer = Integer(root, path, "n_layer"),
            NHead = Integer(root, path, "n_head"),
            NEmbd = nEmbd,
            Dropout = 0,
            Bias = true,
            TieWeights = !root.TryGetProperty("tie_word_embeddings", out var tie) || tie.ValueKind != JsonValueKind.False,
            Activation = ours,
            LayerNormEpsilon = root.TryGetProperty("layer_norm_epsilon", out var eps) ? eps.GetDouble() : 1e-5,
        };
        try
        {
            config.Validate();
        }
        catch (InvalidModelConfigException e)
        {
            throw new PretrainedModelException($"'{path}' describes a model we cannot build: {e.Message}");
        }
        return config;
    }

    /// <summary>
    /// Checks from the file's header alone that <paramref name="directory"/>'s model.safetensors holds exactly the weights
    /// of a GPT-2 with <paramref name="config"/>'s sizes; throws <see cref="PretrainedModelException"/> naming the first
    /// missing, unexpected or mis-shaped tensor and the shapes. Returns each weight's key in the file.
    /// </summary>
    public static IReadOnlyDictionary<string, string> CheckWeights(string directory, ModelConfig config) =>
        Check(SafetensorsReader.Open(Path.Combine(directory, WeightsFile)), Path.Combine(directory, WeightsFile), config);

    /// <summary>
    /// Reads every weight of <paramref name="directory"/>'s model.safetensors under our names, Conv1D weights transposed
    /// to [out, in], after <see cref="CheckWeights"/>: nothing is read from a file that does not fit. The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> ReadWeights(string directory, ModelConfig config)
    {
        var path = Path.Combine(directory, WeightsFile);
        var reader = SafetensorsReader.Open(path);
        var found = Check(reader, path, config);
        var layout = HfGpt2Layout.Tensors(config, config.BlockSize);
        var read = reader.Read(layout.Select(t => found[t.Hf]));
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var tensor in layout)
        {
            var stored = read[found[tensor.Hf]];
            if (!tensor.Transposed)
            {
                weights[tensor.Ours] = stored;
                continue;
            }
            using (stored) weights[tensor.Ours] = stored.t().contiguous(); // (in, out) -> (out, in)
        }
        return weights;
    }

    private static Dictionary<string, string> Check(SafetensorsReader reader, string path, ModelConfig config)
    {
        var layout = HfGpt2Layout.Tensors(config, config.BlockSize);
        var wanted = layout.ToDictionary(t => t.Hf, StringComparer.Ordinal);
        var found = new Dictionary<string, string>(StringComparer.Ordinal); // name without prefix -> key in the file
        foreach (var (key, shape) in reader.Shapes)
        {
            var name = HfGpt2Layout.WithoutPrefix(key);
            if (HfGpt2Layout.IsIgnoredBuffer(name) || (name == HfGpt2Layout.Head && config.TieWeights)) continue;
            if (!wanted.ContainsKey(name))
                throw new PretrainedModelException(
                    $"'{path}' holds an unexpected tensor '{key}' [{Shape(shape)}]: a GPT-2 with {Sizes(config)} has no such weight; config.json and model.safetensors do not belong together");
            if (!found.TryAdd(name, key))
                throw new PretrainedModelException($"'{path}' holds '{name}' twice ('{found[name]}' and '{key}'): keep one of them");
        }
        foreach (var tensor in layout)
        {
            if (!found.TryGetValue(tensor.Hf, out var key))
                throw new PretrainedModelException(
                    $"'{path}' has no tensor '{tensor.Hf}' (or '{HfGpt2Layout.TransformerPrefix}{tensor.Hf}'): a GPT-2 with {Sizes(config)} needs it with shape [{Shape(tensor.HfShape)}]");
            var shape = reader.Shapes[key];
            if (!shape.SequenceEqual(tensor.HfShape))
                throw new PretrainedModelException(
                    $"'{path}' tensor '{key}' has shape [{Shape(shape)}] but a GPT-2 with {Sizes(config)} needs [{Shape(tensor.HfShape)}]{(tensor.Transposed ? " (Conv1D weights are stored [in, out])" : "")}");
        }
        return found;
    }

    private static int Integer(JsonElement root, string path, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
            throw new PretrainedModelException($"'{path}' has no integer '{name}': a GPT-2 config.json needs n_layer, n_head, n_embd, n_positions and vocab_size");
        return number;
    }

    private static string Sizes(ModelConfig c) =>
        $"n_layer = {c.NLayer}, n_embd = {c.NEmbd}, vocab_size = {c.VocabSize}, n_positions = {c.BlockSize} (config.json)";

    internal static string Shape(IEnumerable<long> shape) => string.Join(", ", shape);
}
