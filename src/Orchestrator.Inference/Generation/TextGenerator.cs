using Orchestrator.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Inference.Generation;

/// <summary>
/// Streams token ids from a <see cref="LanguageModel"/> one at a time, feeding each new token through the model's
/// decoding state (KV cache or hidden state) instead of recomputing the whole context per token.
/// <para>
/// Context window: a prompt longer than the model's <see cref="LanguageModel.MaxDecodingLength"/> (GPT's block_size) is
/// cut to its last block_size tokens. When the context then fills block_size, decoding restarts from a fresh state
/// prefilled with the last block_size/2 tokens and continues: one prefill every block_size/2 tokens rather than a full
/// recomputation per token (nanoGPT's sliding window), at the cost of a shorter context just after each restart.
/// Recurrent models have no limit.
/// </para>
/// Not thread-safe: one generation at a time per instance and model.
/// </summary>
public sealed class TextGenerator
{
    private readonly LanguageModel _model;
    private readonly Device _device;

    /// <param name="model">The model, already on <paramref name="device"/>.</param>
    /// <param name="device">Where decoding runs; inputs and the decoding state are created there.</param>
    public TextGenerator(LanguageModel model, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        var parameter = model.parameters().FirstOrDefault();
        if (parameter is not null && parameter.device.type != device.type)
            throw new ArgumentException($"The model's parameters are on {parameter.device} but generation was asked to run on {device}: move the model with model.to(device) first.", nameof(device));
        _model = model;
        _device = device;
    }

    /// <summary>
    /// Yields up to <see cref="GenerationOptions.MaxTokens"/> ids as they are produced. The model is in eval mode without
    /// autograd while enumerating and returns to its previous mode afterwards. Invalid arguments throw immediately.
    /// </summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (promptIds.Count == 0)
            throw new ArgumentException("The prompt must hold at least one token id: start from a newline or a BOS token.", nameof(promptIds));
        var vocabSize = _model.Config.VocabSize;
        for (var i = 0; i < promptIds.Count; i++)
            if (promptIds[i] < 0 || promptIds[i] >= vocabSize)
                throw new ArgumentOutOfRangeException(nameof(promptIds), promptIds[i], $"Token id at prompt position {i} is outside the model's vocabulary [0, {vocabSize}): was the prompt encoded with the run's tokenizer?");
        return GenerateCore(promptIds, options, ct);
    }

    private IEnumerable<int> GenerateCore(IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken ct)
    {
        var limit = _model.MaxDecodingLength ?? int.MaxValue;
        var restartLength = Math.Max(1, limit / 2);
        var context = new List<int>(promptIds);
        var wasTraining = _model.training;
        _model.eval();
        using var generator = new Generator(options.Seed ?? (ulong)Random.Shared.NextInt64(), _device);
        DecodingState? state = null;
        try
        {
            for (var produced = 0; produced < options.MaxTokens; produced++)
            {
                ct.ThrowIfCancellationRequested();
                int feedFrom;
                if (state is null)
                    feedFrom = Math.Max(0, context.Count - limit);
                else if (state.Length + 1 > limit)
                {
                    state.Dispose();
                    state = null;
                    feedFrom = context.Count - restartLength;
                }
                else
                    feedFrom = context.Count - 1;
                state ??= _model.CreateDecodingState(1, _device);
                var next = DecodeStep(state, context, feedFrom, options, generator);
                context.Add(next);
                yield return next;
            }
        }
        finally
        {
            state?.Dispose();
            if (wasTraining) _model.train();
        }
    }

    /// <summary>Feeds <c>context[feedFrom..]</c> and samples the next id; every tensor of the step dies with its scope.</summary>
    private int DecodeStep(DecodingState state, List<int> context, int feedFrom, GenerationOptions options, Generator generator)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = new long[context.Count - feedFrom];
        for (var i = 0; i < ids.Length; i++) ids[i] = context[feedFrom + i];
        var input = tensor(ids, [1, ids.Length], device: _device); // (1, T_new)
        var logits = _model.ForwardIncremental(input, state);       // (1, T_new, V)
        return TokenSampler.Sample(logits[0, -1], options, generator);
    }
}
