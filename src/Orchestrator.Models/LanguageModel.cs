using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models;

/// <summary>
/// What the trainer, evaluator, generator and server need from any model family: logits for a batch of
/// token ids, incremental decoding with a per-request state (a KV cache for GPT, hidden state for RNNs),
/// and a split into segments so the backward pass can be run segment by segment while finished segments'
/// gradients travel to peers (TorchSharp 0.107 has no gradient hooks).
/// </summary>
public abstract class LanguageModel : nn.Module<Tensor, Tensor>
{
    protected LanguageModel(string name, ModelConfig config) : base(name)
    {
        config.Validate();
        Config = config;
    }

    public ModelConfig Config { get; }

    /// <summary>Creates an empty decoding state for <paramref name="batchSize"/> sequences on <paramref name="device"/>.</summary>
    public abstract DecodingState CreateDecodingState(int batchSize, Device device);

    /// <summary>
    /// Feeds new tokens <c>(B, T_new)</c> after those already in <paramref name="state"/> and returns their logits
    /// <c>(B, T_new, V)</c>; the state grows by <c>T_new</c>. Must equal the matching rows of <c>forward</c> on the whole sequence.
    /// </summary>
    public abstract Tensor ForwardIncremental(Tensor idx, DecodingState state);

    /// <summary>
    /// Creates empty decoding states for <paramref name="slotCount"/> independent sequences that
    /// <see cref="ForwardSlots"/> advances together. The base implementation keeps one state per sequence and advances
    /// them one by one; model families override it with a truly batched one.
    /// </summary>
    public virtual DecodingSlots CreateDecodingSlots(int slotCount, Device device) => new SequentialDecodingSlots(this, slotCount, device);

    /// <summary>
    /// Feeds several sequences at once: row <c>b</c> of <c>idx (B, T)</c> holds <c>tokenCounts[b]</c> new tokens for
    /// <c>slots[b]</c>, right-padded to <c>T</c> with any valid id. Returns logits <c>(B, T, V)</c> whose row <c>b</c>
    /// equals <see cref="ForwardIncremental"/> of that sequence alone in its first <c>tokenCounts[b]</c> positions
    /// (the padded positions are meaningless). Each slot grows by its count. Inference only: runs without autograd.
    /// </summary>
    public virtual Tensor ForwardSlots(Tensor idx, IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots, DecodingSlots state)
    {
        if (state is not SequentialDecodingSlots sequential)
            throw new ArgumentException($"{GetType().Name} decodes slots created by its own CreateDecodingSlots, not {state.GetType().Name}.", nameof(state));
        sequential.CheckBatch(idx, tokenCounts, slots);
        using var noGrad = no_grad();
        return sequential.Forward(idx, tokenCounts, slots);
    }

    /// <summary>Number of segments; <c>forward(x)</c> equals applying segments 0..SegmentCount-1 in order.</summary>
    public abstract int SegmentCount { get; }

    /// <summary>Runs one segment: segment 0 takes token ids <c>(B, T)</c>, the last returns logits <c>(B, T, V)</c>.</summary>
    public abstract Tensor ForwardSegment(int index, Tensor input);

    /// <summary>
    /// The parameters owned by a segment. Segments partition <c>parameters()</c>; a tied weight belongs to the
    /// lowest segment that uses it, because its gradient is complete only after that segment's backward.
    /// </summary>
    public abstract IReadOnlyList<TorchSharp.Modules.Parameter> SegmentParameters(int index);

    /// <summary>
    /// How many tokens one decoding state can hold, or <c>null</c> when unbounded (recurrent models).
    /// Generators use it to decide when to restart decoding from a shorter window.
    /// </summary>
    public virtual int? MaxDecodingLength => null;

    /// <summary>
    /// The dtype of the weights, for state tensors that must match them. Read through <c>parameters()</c>: TorchSharp's
    /// <c>Embedding.weight</c>/<c>Linear.weight</c> getters hand out a new tensor wrapper on every call.
    /// </summary>
    protected ScalarType ParameterType => parameters().First().dtype;

    /// <summary>Total number of trainable scalars (tied weights counted once).</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>
    /// Full names of parameters that alias another parameter (a tied <c>lm_head.weight</c>). TorchSharp 0.107 lists a
    /// tied tensor once per owning module; PyTorch lists it once. Skipping the aliases keeps optimizers from
    /// updating the tensor twice per step and keeps gradient exchange and counts honest.
    /// </summary>
    protected virtual IReadOnlyCollection<string> TiedParameterAliases => [];

    /// <inheritdoc/>
    public override IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named_parameters(bool recurse = true)
    {
        var aliases = TiedParameterAliases;
        return base.named_parameters(recurse).Where(p => !aliases.Contains(p.name));
    }
}

/// <summary>Per-sequence state carried between incremental decoding steps. Owns native tensors: dispose it.</summary>
public abstract class DecodingState : IDisposable
{
    /// <summary>How many tokens have been fed so far (the position of the next token).</summary>
    public int Length { get; protected set; }

    public abstract void Dispose();
}
