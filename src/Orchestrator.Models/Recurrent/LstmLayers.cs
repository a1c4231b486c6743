using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Recurrent;

/// <summary>
/// A stack of LSTM layers (batch first) with the parameters, names and initialisation of PyTorch's <c>nn.LSTM</c>
/// (<c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>, all ~ U(−1/√H, 1/√H)), so
/// checkpoints and seeded runs are unchanged, but with the gates computed from plain matrix products and pointwise ops.
/// </summary>
/// <remarks>
/// Why not <c>nn.LSTM</c>: libtorch 2.10 runs a CPU float LSTM through oneDNN 3.7.1, and its JIT "brgemm" inference
/// kernel (the one chosen under <c>no_grad</c>) returns wrong outputs for some hidden sizes: checked against PyTorch
/// on the same weights, off by up to 0.25 with AVX-512 when the hidden size mod 32 is 1..16 (8, 16, 100, 200 …), and by
/// 0.015 on an AVX2-only AMD EPYC; the training kernel and the SSE4.1 level were right. Evaluation and decoding then
/// disagreed with training. The gates written out here depend on no oneDNN path; they are checked against PyTorch and
/// finite differences at every ISA level (tests/Orchestrator.Models.Tests/Recurrent, scripts/test.sh runs them twice).
/// </remarks>
public sealed class LstmLayers : nn.Module<Tensor, (Tensor Hidden, Tensor Cell), (Tensor Output, Tensor Hidden, Tensor Cell)>
{
    private const int Gates = 4; // input, forget, cell candidate, output: PyTorch's order within the weight rows

    private readonly int numLayers;
    private readonly bool bias;
    private readonly double dropout;

    /// <summary>Draws the weights from torch's current RNG in <c>nn.LSTM</c>'s order, so the same seed gives the same weights.</summary>
    public LstmLayers(long inputSize, long hiddenSize, int numLayers, bool bias, double dropout) : base(nameof(LstmLayers))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        this.numLayers = numLayers;
        this.bias = bias;
        this.dropout = dropout;
        for (var layer = 0; layer < numLayers; layer++)
        {
            var layerInput = layer == 0 ? inputSize : hiddenSize;
            Register($"weight_ih_l{layer}", [Gates * hiddenSize, layerInput]);
            Register($"weight_hh_l{layer}", [Gates * hiddenSize, hiddenSize]);
            if (!bias) continue;
            Register($"bias_ih_l{layer}", [Gates * hiddenSize]);
            Register($"bias_hh_l{layer}", [Gates * hiddenSize]);
        }
        var bound = 1.0 / Math.Sqrt(hiddenSize);
        using (no_grad())
            foreach (var parameter in parameters())
                nn.init.uniform_(parameter, -bound, bound);
    }

    /// <summary>
    /// Runs <c>x (B, T, input)</c> from <c>state</c> (each <c>(n_layer, B, H)</c>) and returns the last layer's outputs
    /// <c>(B, T, H)</c> with the hidden and cell state after the last step. Dropout (training mode only) sits between
    /// layers, as in <c>nn.LSTM</c>.
    /// </summary>
    public override (Tensor Output, Tensor Hidden, Tensor Cell) forward(Tensor x, (Tensor Hidden, Tensor Cell) state)
    {
        var hiddens = new Tensor[numLayers];
        var cells = new Tensor[numLayers];
        for (var layer = 0; layer < numLayers; layer++)
        {
            if (layer > 0 && dropout > 0) x = nn.functional.dropout(x, dropout, training);
            (x, hiddens[layer], cells[layer]) = Layer(layer, x, state.Hidden[layer], state.Cell[layer]);
        }
        return (x, stack(hiddens), stack(cells));
    }

    // (B, T, in) -> (B, T, H)
    private (Tensor Output, Tensor Hidden, Tensor Cell) Layer(int layer, Tensor x, Tensor hidden, Tensor cell)
    {
        // The input projection of every step in one product: (B, T, in) -> (B, T, 4H)
        // Parameters are looked up by name on every call: Module.to(dtype or device) replaces them.
        var projected = nn.functional.linear(x, Weight($"weight_ih_l{layer}"), bias ? Weight($"bias_ih_l{layer}") : null);
        if (bias) projected = projected + Weight($"bias_hh_l{layer}");
        var recurrent = Weight($"weight_hh_l{layer}").t(); // (H, 4H)
        var steps = new Tensor[x.shape[1]];
        for (var t = 0; t < steps.Length; t++)
        {
            using var step = NewDisposeScope();
            var gates = addmm(projected.select(1, t), hidden, recurrent, beta: 1, alpha: 1).chunk(Gates, 1); // (B, 4H) -> 4 × (B, H)
            var nextCell = sigmoid(gates[1]) * cell + sigmoid(gates[0]) * tanh(gates[2]);
            var nextHidden = sigmoid(gates[3]) * tanh(nextCell);
            (hidden, cell) = (nextHidden.MoveToOuterDisposeScope(), nextCell.MoveToOuterDisposeScope());
            steps[t] = hidden;
        }
        return (stack(steps, 1), hidden, cell);
    }

    private Parameter Weight(string name) => get_parameter(name) ?? throw new InvalidOperationException($"LstmLayers lost its parameter '{name}'.");

    private void Register(string name, long[] shape) => register_parameter(name, new Parameter(empty(shape)));
}
