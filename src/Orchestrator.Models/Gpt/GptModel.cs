using TorchSharp;
using TorchSharp.Modules;
using Orchestrator.Models.Lora;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// A decoder-only transformer in the shape of GPT-2 / nanoGPT: token and position embeddings, <c>n_layer</c>
/// pre-LayerNorm blocks, a final LayerNorm and a bias-free head whose weight is the token embedding when
/// <c>tie_weights</c> (fewer parameters, and the input and output token spaces stay the same).
/// Segments: 0 = embeddings (owns the tied weight), 1..n_layer = blocks, n_layer + 1 = ln_f + lm_head.
/// </summary>
public sealed class GptModel : LanguageModel
{
    private const double InitStd = 0.02;
    /// <summary>The head's weight in the state dict, where a tied model lists the embedding a second time.</summary>
    internal const string TiedHeadWeight = "lm_head.weight";

    /// <summary>An <c>nn.Embedding</c>, or a <see cref="LoraEmbedding"/> when the config's LoRA adapts the tied embedding.</summary>
    private readonly nn.Module<Tensor, Tensor> wte;
    private readonly Embedding wpe;
    private readonly Dropout drop;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;
    /// <summary>Null when a <see cref="LoraEmbedding"/> is also the head: it computes the logits itself, adapter included.</summary>
    private readonly Linear? lm_head;

    /// <summary>Builds the model with nanoGPT's initialisation, drawing from torch's current RNG (seed it first).</summary>
    public GptModel(ModelConfig config) : base(nameof(GptModel), RequireGpt(config))
    {
        wte = config.Lora is { EmbeddingRank: > 0 } lora
            ? new LoraEmbedding(config.VocabSize, config.NEmbd, lora)
            : nn.Embedding(config.VocabSize, config.NEmbd);
        wpe = nn.Embedding(config.BlockSize, config.NEmbd);
        drop = nn.Dropout(config.Dropout);
        h = nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new Block(config)).ToArray());
        ln_f = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon, bias: config.Bias);
        if (wte is Embedding embedding)
        {
            lm_head = nn.Linear(config.NEmbd, config.VocabSize, hasBias: false);
            if (config.TieWeights)
                lm_head.weight = embedding.weight!;
        }
        RegisterComponents();
        Initialise();
        if (config.Lora is not null) LoraWeights.FreezeBase(this);
    }

    public override int SegmentCount => Config.NLayer + 2;

    public override int? MaxDecodingLength => Config.BlockSize;

    protected override IReadOnlyCollection<string> TiedParameterAliases => Config.TieWeights ? [TiedHeadWeight] : [];

    public override Tensor forward(Tensor idx)
    {
        var x = idx;
        for (var segment = 0; segment < SegmentCount; segment++)
            x = ForwardSegment(segment, x);
        return x;
    }

    public override Tensor ForwardSegment(int index, Tensor input)
    {
        if (index == 0)
        {
            var time = input.shape[1];
            if (time > Config.BlockSize)
                throw new ArgumentException(
                    $"The input has {time} tokens but block_size is {Config.BlockSize}: crop the sequence to the last {Config.BlockSize} tokens.",
                    nameof(input));
            return Embed(input, firstPosition: 0);
        }
        if (index <= Config.NLayer)
            return h[index - 1].forward(input);
        if (index == Config.NLayer + 1)
            return Head(ln_f.forward(input));
        throw SegmentOutOfRange(index);
    }

    public override IReadOnlyList<Parameter> SegmentParameters(int index)
    {
        if (index == 0)
            return [.. wte.parameters(), .. wpe.parameters()];
        if (index <= Config.NLayer)
            return [.. h[index - 1].parameters()];
        if (index == Config.NLayer + 1)
            return Config.TieWeights ? [.. ln_f.parameters()] : [.. ln_f.parameters(), .. lm_head!.parameters()];
        throw SegmentOutOfRange(index);
    }

    /// <summary>A KV cache sized to <c>block_size</c>, in the dtype of the model's weights.</summary>
    public override DecodingState CreateDecodingState(int batchSize, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return new KvCache(Config.NLayer, batchSize, Config.NHead, Config.BlockSize, Config.NEmbd / Config.NHead, ParameterType, device);
    }

    /// <summary>
    /// Feeds <c>idx (B, T_new)</c> at positions after the cached tokens and returns their logits. Inference only:
    /// runs without autograd, because the cache is written in place. Throws when the cache would exceed block_size.
    /// </summary>
    public override Tensor ForwardIncremental(Tensor idx, DecodingState state)
    {
        if (state is not KvCache cache)
            throw new ArgumentException($"GptModel decodes with a KvCache from CreateDecodingState, not {state.GetType().Name}.", nameof(state));
        if (idx.shape[0] != cache.BatchSize)
            throw new ArgumentException($"The input has batch size {idx.shape[0]} but the KV cache was created for {cache.BatchSize}.", nameof(idx));
        var newTokens = (int)idx.shape[1];
        cache.EnsureRoom(newTokens);
        using var noGrad = no_grad();
        var x = Embed(idx, firstPosition: cache.Length);
        for (var layer = 0; layer < Config.NLayer; layer++)
            x = h[layer].ForwardCached(x, cache, layer);
        cache.Advance(newTokens);
        return Head(ln_f.forward(x));
    }

    /// <summary>A slotted KV cache sized to <c>block_size</c> per sequence, in the dtype of the model's weights.</summary>
    public override DecodingSlots CreateDecodingSlots(int slotCount, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotCount);
        return new KvCacheSlots(Config.NLayer, slotCount, Config.NHead, Config.BlockSize, Config.NEmbd / Config.NHead, ParameterType, device);
    }

    /// <summary>
    /// One forward for every row: the matmuls run on the whole <c>(B, T)</c> batch and attention reads each row's own
    /// slot of the padded cache under a mask. Inference only; throws when a slot would exceed block_size.
    /// </summary>
    public override Tensor ForwardSlots(Tensor idx, IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots, DecodingSlots state)
    {
        if (state is not KvCacheSlots cache)
            throw new ArgumentException($"GptModel decodes slots created by its CreateDecodingSlots (KvCacheSlots), not {state.GetType().Name}.", nameof(state));
        cache.CheckBatch(idx, tokenCounts, slots);
        using var noGrad = no_grad();
        var batch = cache.Prepare(tokenCounts, slots, (int)idx.shape[1], idx.device);
        // (B, T, C) + (B, T, C): each row starts at its own slot's length
        var x = drop.forward(wte.forward(idx) + wpe.forward(batch.Positions));
        for (var layer = 0; layer < Config.NLayer; layer++)
            x = h[layer].ForwardSlots(x, cache, layer, batch);
        cache.Commit(batch);
        return Head(ln_f.forward(x));
    }

    /// <summary>The output head: the tied embedding's adapter moves the logits too.</summary>
    private Tensor Head(Tensor x) => lm_head is null ? ((LoraEmbedding)wte).Logits(x) : lm_head.forward(x);

    private Tensor Embed(Tensor idx, long firstPosition)
    {
        var time = idx.shape[1];
        var positions = arange(firstPosition, firstPosition + time, dtype: ScalarType.Int64, device: idx.device); // (T)
        // (B, T, C) + (T, C) -> (B, T, C)
        return drop.forward(wte.forward(idx) + wpe.forward(positions));
    }

    /// <summary>
    /// nanoGPT's scheme: every Linear and Embedding weight ~ N(0, 0.02), biases zero, LayerNorms (1, 0), and the
    /// projections that write into the residual stream (<c>c_proj</c>) ~ N(0, 0.02/√(2·n_layer)) so the stream's
    /// variance does not grow with depth.
    /// </summary>
    private void Initialise()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight!, 0.0, InitStd);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case LoraLinear adapted:
                    adapted.InitialiseBase(InitStd);
                    break;
                case LoraEmbedding adaptedEmbedding:
                    adaptedEmbedding.InitialiseBase(InitStd);
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight!, 0.0, InitStd);
                    break;
            }
        }
        var residualStd = InitStd / Math.Sqrt(2.0 * Config.NLayer);
        foreach (var (name, parameter) in named_parameters())
            if (name.EndsWith("c_proj.weight", StringComparison.Ordinal))
                nn.init.normal_(parameter, 0.0, residualStd);
    }

    private ArgumentOutOfRangeException SegmentOutOfRange(int index) =>
        new(nameof(index), index, $"GptModel has segments 0..{SegmentCount - 1} (n_layer = {Config.NLayer}).");

    private static ModelConfig RequireGpt(ModelConfig config) =>
        config.Model == "gpt"
            ? config
            : throw new InvalidModelConfigException($"GptModel needs model type 'gpt' (got '{config.Model}'): build models through ModelFactory.Create");
}
