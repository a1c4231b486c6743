using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Recurrent;

/// <summary>
/// The recurrent baselines (<c>lstm</c>, <c>gru</c>, <c>rnn</c>): embedding, a stack of <c>n_layer</c> recurrent layers of
/// width <c>n_embd</c> with dropout between them, and a head tied to the embedding when <c>tie_weights</c>
/// (Press &amp; Wolf, 2017). Segments: 0 = embedding (owns the tied weight), 1 = recurrent stack, 2 = head.
/// </summary>
public sealed class RecurrentLanguageModel : LanguageModel
{
    private const double EmbeddingInitRange = 0.1;
    private const string TiedHeadWeight = "lm_head.weight";

    private readonly Embedding wte;
    private readonly Dropout drop;
    private readonly nn.Module rnn;
    private readonly Linear lm_head;

    /// <summary>
    /// Builds the model drawing from torch's current RNG: embedding and head ~ U(−0.1, 0.1) with zero head bias (as
    /// PyTorch's word-language-model example), recurrent weights with PyTorch's defaults (LstmLayers draws nn.LSTM's).
    /// </summary>
    public RecurrentLanguageModel(ModelConfig config) : base(nameof(RecurrentLanguageModel), RequireRecurrent(config))
    {
        wte = nn.Embedding(config.VocabSize, config.NEmbd);
        drop = nn.Dropout(config.Dropout);
        var interLayerDropout = config.NLayer > 1 ? config.Dropout : 0.0; // libtorch warns when dropout has no layer to follow
        rnn = config.Model switch
        {
            "lstm" => new LstmLayers(config.NEmbd, config.NEmbd, config.NLayer, config.Bias, interLayerDropout), // not nn.LSTM: see LstmLayers
            "gru" => nn.GRU(config.NEmbd, config.NEmbd, config.NLayer, config.Bias, batchFirst: true, dropout: interLayerDropout),
            _ => nn.RNN(config.NEmbd, config.NEmbd, config.NLayer, bias: config.Bias, batchFirst: true, dropout: interLayerDropout),
        };
        lm_head = nn.Linear(config.NEmbd, config.VocabSize, hasBias: config.Bias);
        using (no_grad())
        {
            nn.init.uniform_(wte.weight!, -EmbeddingInitRange, EmbeddingInitRange);
            if (config.TieWeights)
                lm_head.weight = wte.weight!;
            else
                nn.init.uniform_(lm_head.weight!, -EmbeddingInitRange, EmbeddingInitRange);
            if (lm_head.bias is not null) nn.init.zeros_(lm_head.bias);
        }
        RegisterComponents();
    }

    public override int SegmentCount => 3;

    protected override IReadOnlyCollection<string> TiedParameterAliases => Config.TieWeights ? [TiedHeadWeight] : [];

    public override Tensor forward(Tensor idx)
    {
        var x = idx;
        for (var segment = 0; segment < SegmentCount; segment++)
            x = ForwardSegment(segment, x);
        return x;
    }

    /// <summary>Segment 1 starts from a zero hidden state, as a training window does.</summary>
    public override Tensor ForwardSegment(int index, Tensor input) => index switch
    {
        0 => drop.forward(wte.forward(input)),
        1 => Run(input, ZeroState(input.shape[0], input.dtype, input.device)).Output,
        2 => lm_head.forward(drop.forward(input)),
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "RecurrentLanguageModel has segments 0 (embedding), 1 (recurrent stack) and 2 (head)."),
    };

    public override IReadOnlyList<Parameter> SegmentParameters(int index) => index switch
    {
        0 => [.. wte.parameters()],
        1 => [.. rnn.parameters()],
        2 => Config.TieWeights ? [.. lm_head.named_parameters().Where(p => p.name != "weight").Select(p => p.parameter)] : [.. lm_head.parameters()],
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "RecurrentLanguageModel has segments 0 (embedding), 1 (recurrent stack) and 2 (head)."),
    };

    /// <summary>A zero hidden (and cell) state, in the dtype of the model's weights.</summary>
    public override DecodingState CreateDecodingState(int batchSize, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var (hidden, cell) = ZeroState(batchSize, ParameterType, device);
        return new RecurrentState(hidden, cell);
    }

    /// <summary>Feeds <c>idx (B, T_new)</c> from the carried hidden state and returns their logits. Inference only: runs without autograd.</summary>
    public override Tensor ForwardIncremental(Tensor idx, DecodingState state)
    {
        if (state is not RecurrentState recurrent)
            throw new ArgumentException($"RecurrentLanguageModel decodes with a RecurrentState from CreateDecodingState, not {state.GetType().Name}.", nameof(state));
        recurrent.ThrowIfDisposed();
        if (idx.shape[0] != recurrent.BatchSize)
            throw new ArgumentException($"The input has batch size {idx.shape[0]} but the state was created for {recurrent.BatchSize}.", nameof(idx));
        using var noGrad = no_grad();
        var x = ForwardSegment(0, idx);
        var (output, hidden, cell) = Run(x, (recurrent.Hidden, recurrent.Cell));
        recurrent.Update(hidden, cell, (int)idx.shape[1]);
        return ForwardSegment(2, output);
    }

    /// <summary>Zero states for <paramref name="slotCount"/> sequences, in the dtype of the model's weights.</summary>
    public override DecodingSlots CreateDecodingSlots(int slotCount, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotCount);
        var (hidden, cell) = ZeroState(slotCount, ParameterType, device);
        return new RecurrentStateSlots(hidden, cell);
    }

    /// <summary>
    /// Rows that feed the same number of tokens share one call of the recurrent stack (every row of a decoding step
    /// feeds one token, so a step is one call); a recurrence cannot skip padding, so rows of other lengths go in their own call.
    /// </summary>
    public override Tensor ForwardSlots(Tensor idx, IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots, DecodingSlots state)
    {
        if (state is not RecurrentStateSlots states)
            throw new ArgumentException($"RecurrentLanguageModel decodes slots created by its CreateDecodingSlots (RecurrentStateSlots), not {state.GetType().Name}.", nameof(state));
        states.CheckBatch(idx, tokenCounts, slots);
        using var noGrad = no_grad();
        var time = idx.shape[1];
        Tensor? logits = null; // (B, T, V)
        foreach (var group in Enumerable.Range(0, slots.Count).GroupBy(row => tokenCounts[row]))
        {
            var rows = tensor(group.Select(row => (long)row).ToArray(), device: idx.device);
            var groupSlots = group.Select(row => slots[row]).ToArray();
            var slotIndex = tensor(groupSlots.Select(slot => (long)slot).ToArray(), device: idx.device);
            var count = group.Key;
            var x = ForwardSegment(0, idx.index_select(0, rows).narrow(1, 0, count)); // (G, count, C)
            var (output, hidden, cell) = Run(x, states.Gather(slotIndex));
            states.Scatter(slotIndex, groupSlots, hidden, cell, count);
            var groupLogits = ForwardSegment(2, output); // (G, count, V)
            if (count < time) groupLogits = nn.functional.pad(groupLogits, [0, 0, 0, time - count]);
            logits ??= zeros([idx.shape[0], time, groupLogits.shape[2]], groupLogits.dtype, idx.device);
            logits.index_copy_(0, rows, groupLogits);
        }
        return logits!;
    }

    private (Tensor Hidden, Tensor? Cell) ZeroState(long batchSize, ScalarType dtype, Device device)
    {
        // (n_layer, B, n_embd) for each of hidden and cell state
        long[] shape = [Config.NLayer, batchSize, Config.NEmbd];
        return (zeros(shape, dtype, device), rnn is LstmLayers ? zeros(shape, dtype, device) : null);
    }

    // (B, T, C) -> (B, T, C), with the state after the last step
    private (Tensor Output, Tensor Hidden, Tensor? Cell) Run(Tensor x, (Tensor Hidden, Tensor? Cell) state)
    {
        switch (rnn)
        {
            case LstmLayers lstm:
                var (lstmOut, h, c) = lstm.forward(x, (state.Hidden, state.Cell!));
                return (lstmOut, h, c);
            case GRU gru:
                var (gruOut, gruHidden) = gru.forward(x, state.Hidden);
                return (gruOut, gruHidden, null);
            case RNN plain:
                var (rnnOut, rnnHidden) = plain.forward(x, state.Hidden);
                return (rnnOut, rnnHidden, null);
            default:
                throw new InvalidOperationException($"Unexpected recurrent module {rnn.GetType().Name}.");
        }
    }

    private static ModelConfig RequireRecurrent(ModelConfig config) =>
        config.Model is "lstm" or "gru" or "rnn"
            ? config
            : throw new InvalidModelConfigException($"RecurrentLanguageModel needs model type lstm, gru or rnn (got '{config.Model}'): build models through ModelFactory.Create");
}
