using Orchestrator.Models;

namespace Orchestrator.Training.Pretrained;

/// <summary>One weight of GPT-2 in both namings.</summary>
/// <param name="Ours">Our state-dict name (<c>h.0.attn.c_attn.weight</c>).</param>
/// <param name="Hf">transformers' name without the <c>transformer.</c> prefix (the same, except the head).</param>
/// <param name="Transposed">Stored as [in, out] by transformers' Conv1D, where our Linear holds [out, in].</param>
/// <param name="HfShape">The shape in the Hugging Face file.</param>
public sealed record HfGpt2Tensor(string Ours, string Hf, bool Transposed, long[] HfShape);

/// <summary>
/// GPT-2's weight layout as transformers' <c>GPT2LMHeadModel</c> stores it, in one place for import and export: every
/// tensor, its name on both sides and its shape. transformers' four Conv1D layers per block keep their weight as
/// [in, out], the transpose of a Linear's; everything else is laid out as ours. Our model is GPT-2's architecture
/// (pre-LayerNorm blocks, learned positions, tied head), so the mapping is one to one.
/// </summary>
public static class HfGpt2Layout
{
    /// <summary>Prefix of every weight but the head in a GPT2LMHeadModel file (a GPT2Model file has none).</summary>
    public const string TransformerPrefix = "transformer.";

    public const string Head = "lm_head.weight";

    /// <summary>Every tensor of a GPT-2 with <paramref name="config"/>'s sizes and <paramref name="positions"/> rows of position embeddings; the head only when untied.</summary>
    public static IReadOnlyList<HfGpt2Tensor> Tensors(ModelConfig config, long positions)
    {
        long c = config.NEmbd, v = config.VocabSize;
        var tensors = new List<HfGpt2Tensor>
        {
            Same("wte.weight", v, c),
            Same("wpe.weight", positions, c),
        };
        for (var i = 0; i < config.NLayer; i++)
        {
            var block = $"h.{i}.";
            tensors.Add(Same(block + "ln_1.weight", c));
            tensors.Add(Same(block + "ln_1.bias", c));
            tensors.Add(Conv1D(block + "attn.c_attn.weight", c, 3 * c));
            tensors.Add(Same(block + "attn.c_attn.bias", 3 * c));
            tensors.Add(Conv1D(block + "attn.c_proj.weight", c, c));
            tensors.Add(Same(block + "attn.c_proj.bias", c));
            tensors.Add(Same(block + "ln_2.weight", c));
            tensors.Add(Same(block + "ln_2.bias", c));
            tensors.Add(Conv1D(block + "mlp.c_fc.weight", c, 4 * c));
            tensors.Add(Same(block + "mlp.c_fc.bias", 4 * c));
            tensors.Add(Conv1D(block + "mlp.c_proj.weight", 4 * c, c));
            tensors.Add(Same(block + "mlp.c_proj.bias", c));
        }
        tensors.Add(Same("ln_f.weight", c));
        tensors.Add(Same("ln_f.bias", c));
        if (!config.TieWeights) tensors.Add(Same(Head, v, c));
        return tensors;
    }

    /// <summary>Buffers transformers keeps beside the weights (the causal mask and its fill value); they carry nothing to load.</summary>
    public static bool IsIgnoredBuffer(string hfName) =>
        hfName.EndsWith(".attn.bias", StringComparison.Ordinal) || hfName.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    /// <summary>A key with the <c>transformer.</c> prefix removed, when it has one.</summary>
    public static string WithoutPrefix(string key) =>
        key.StartsWith(TransformerPrefix, StringComparison.Ordinal) ? key[TransformerPrefix.Length..] : key;

    private static HfGpt2Tensor Same(string name, params long[] shape) => new(name, name, false, shape);

    private static HfGpt2Tensor Conv1D(string name, long inFeatures, long outFeatures) => new(name, name, true, [inFeatures, outFeatures]);
}
