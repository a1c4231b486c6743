using Orchestrator.Training.Distributed;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Orchestrator.Training.Compression;

/// <summary>
/// PowerSGD (Vogels, Karimireddy and Jaggi, NeurIPS 2019) with error feedback, for the weight matrices chosen by
/// <see cref="Compresses"/>. Per matrix and step: M = gradient + error; P = M Q, averaged across ranks and
/// orthonormalised; Q = Mᵀ P, averaged; the gradient becomes P Qᵀ and the error M − P Qᵀ; Q is kept as the next step's
/// start. Initial Q's come from the run's seed, so every rank starts alike. Other parameters are averaged whole.
/// </summary>
/// <remarks>
/// Collective calls must be issued in the same order on every rank. Each <see cref="ExchangeAsync"/> (one model
/// segment) issues its whole-gradient bucket and its batched P, then — once P is back — its batched Q, and only then
/// may the next segment issue anything; the work in between runs on the thread pool, so it overlaps the backward pass
/// of the segments below. Error buffers differ per rank (they are what this rank's gradients lost); Q's are equal on
/// all ranks.
/// </remarks>
public sealed class PowerSgdCompressor : IDisposable
{
    private readonly Dictionary<Parameter, Matrix> _byParameter = new(ReferenceEqualityComparer.Instance);
    private readonly Matrix[] _matrices;
    private Task _issued = Task.CompletedTask;

    /// <param name="matrices">The 2-D parameters to compress, in model order (the same on every rank).</param>
    /// <param name="rank">Columns of P and Q.</param>
    /// <param name="seed">The run's seed: initial Q's are drawn from it, identically on every rank.</param>
    public PowerSgdCompressor(IEnumerable<(string Name, Parameter Parameter)> matrices, int rank, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        Rank = rank;
        var list = new List<Matrix>();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in matrices)
        {
            if (parameter.dim() != 2)
                throw new ArgumentException($"PowerSGD compresses matrices; parameter '{name}' has shape [{string.Join(", ", parameter.shape)}]", nameof(matrices));
            var (rows, columns) = ((int)parameter.shape[0], (int)parameter.shape[1]);
            using var scope = NewDisposeScope();
            using var generator = new Generator(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)list.Count + 1), CPU);
            var matrix = new Matrix(name, parameter, rows, columns,
                randn([columns, rank], float32, CPU, generator: generator).to(parameter.device).DetachFromDisposeScope(),
                zeros([rows, columns], float32, parameter.device).DetachFromDisposeScope());
            list.Add(matrix);
            _byParameter.Add(parameter, matrix);
        }
        _matrices = list.ToArray();
    }

    public int Rank { get; }

    /// <summary>Names of the compressed parameters, in model order.</summary>
    public IReadOnlyList<string> MatrixNames => _matrices.Select(m => m.Name).ToArray();

    /// <summary>
    /// The rule for which gradients are worth compressing: a matrix m×n whose factors r(m+n) are at most half its
    /// mn elements. Vectors (biases, layer norms) and small matrices go whole.
    /// </summary>
    public static bool Compresses(IReadOnlyList<long> shape, int rank) =>
        shape.Count == 2 && shape[0] * shape[1] >= 2L * rank * (shape[0] + shape[1]);

    public bool IsCompressed(Parameter parameter) => _byParameter.ContainsKey(parameter);

    /// <summary>Floats this parameter puts on the wire per step: r(m+n) when compressed, else all of it.</summary>
    public long WireElements(Parameter parameter) =>
        _byParameter.TryGetValue(parameter, out var m) ? (long)Rank * (m.Rows + m.Columns) : parameter.numel();

    /// <summary>
    /// Starts exchanging the gradients of <paramref name="parameters"/> (one model segment, or all): compressed ones
    /// become the averaged low-rank approximation, the others the plain average. Call on the training thread as soon
    /// as their backward is done; await all before reading the gradients.
    /// </summary>
    public Task ExchangeAsync(IReadOnlyList<Parameter> parameters, IGradientSynchronizer peers, CancellationToken cancellationToken)
    {
        var plain = new List<Tensor>();
        var compressed = new List<(Matrix Matrix, Tensor Gradient)>();
        foreach (var parameter in parameters)
        {
            var gradient = parameter.grad ?? throw new InvalidOperationException(
                $"parameter of shape [{string.Join(", ", parameter.shape)}] received no gradient: every parameter must take part in the forward pass for gradient exchange");
            if (_byParameter.TryGetValue(parameter, out var matrix)) compressed.Add((matrix, gradient));
            else plain.Add(gradient);
        }

        var factors = compressed.Count == 0 ? null : Factors.Start(compressed, Rank);
        var previous = _issued;
        var issued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _issued = issued.Task;
        return Task.Run(() => FinishAsync(previous, issued, plain, factors, peers, cancellationToken), CancellationToken.None);
    }

    /// <summary>All error buffers, concatenated in model order (this rank's share of a checkpoint).</summary>
    public float[] ErrorsToArray()
    {
        using var scope = NewDisposeScope();
        if (_matrices.Length == 0) return [];
        return cat(_matrices.Select(m => m.Error.reshape(-1).cpu()).ToArray()).data<float>().ToArray();
    }

    /// <summary>Error elements of all matrices together (the length of <see cref="ErrorsToArray"/>).</summary>
    public long ErrorElements => _matrices.Sum(m => (long)m.Rows * m.Columns);

    /// <summary>Each matrix's Q (columns × rank), by name, copied to managed memory.</summary>
    public IEnumerable<(string Name, long[] Shape, float[] Values)> QToArrays()
    {
        foreach (var m in _matrices)
        {
            using var scope = NewDisposeScope();
            yield return (m.Name, m.Q.shape, m.Q.cpu().data<float>().ToArray());
        }
    }

    /// <summary>Each matrix's shape, by name, in model order.</summary>
    public IEnumerable<(string Name, int Rows, int Columns)> Shapes => _matrices.Select(m => (m.Name, m.Rows, m.Columns));

    /// <summary>Restores one matrix's Q and (when given) error buffer; shapes are checked by the caller.</summary>
    public void Restore(string name, Tensor q, Tensor? error)
    {
        var matrix = _matrices.FirstOrDefault(m => m.Name == name)
                     ?? throw new ArgumentException($"PowerSGD compresses no parameter named '{name}'", nameof(name));
        using var noGrad = no_grad();
        matrix.Q.copy_(q);
        if (error is null) matrix.Error.zero_();
        else matrix.Error.copy_(error);
    }

    /// <summary>Forgets the accumulated errors (after a rollback, or a change of world size); Q's stay.</summary>
    public void ResetErrors()
    {
        using var noGrad = no_grad();
        foreach (var m in _matrices) m.Error.zero_();
    }

    public void Dispose()
    {
        foreach (var m in _matrices)
        {
            m.Q.Dispose();
            m.Error.Dispose();
        }
    }

    private static async Task FinishAsync(Task previous, TaskCompletionSource issued, List<Tensor> plain, Factors? factors,
        IGradientSynchronizer peers, CancellationToken cancellationToken)
    {
        var started = new List<Task>(3);
        try
        {
            try
            {
                await previous.ConfigureAwait(false);
                if (plain.Count > 0) started.Add(peers.AverageGradientsAsync(plain, GradientWire.Float32, cancellationToken));
                if (factors is not null)
                {
                    var pAveraged = peers.AverageGradientsAsync([factors.P], GradientWire.Float32, cancellationToken);
                    started.Add(pAveraged);
                    await pAveraged.ConfigureAwait(false);
                    factors.ComputeQ();
                    var qAveraged = peers.AverageGradientsAsync([factors.Q], GradientWire.Float32, cancellationToken);
                    started.Add(qAveraged);
                    issued.TrySetResult();
                    await qAveraged.ConfigureAwait(false);
                    factors.Apply();
                }
                issued.TrySetResult();
            }
            catch (Exception e)
            {
                issued.TrySetException(e);
                throw;
            }

            await Task.WhenAll(started).ConfigureAwait(false);
        }
        finally
        {
            // A failed exchange may still be reading the factors (the ring is broken; the trainer stops): leave them then.
            if (started.All(t => t.IsCompleted)) factors?.Dispose();
        }
    }

    private sealed record Matrix(string Name, Parameter Parameter, int Rows, int Columns, Tensor Q, Tensor Error);

    /// <summary>One exchange's P's and Q's, each kind in one flat buffer so it travels as one collective.</summary>
    private sealed class Factors : IDisposable
    {
        private readonly List<(Matrix Matrix, Tensor Gradient)> _matrices;
        private readonly int _rank;

        private Factors(List<(Matrix, Tensor)> matrices, int rank, Tensor p, Tensor q) => (_matrices, _rank, P, Q) = (matrices, rank, p, q);

        public Tensor P { get; }
        public Tensor Q { get; }

        /// <summary>M = gradient + error (kept in the error buffer) and P = M Q, on the calling (training) thread.</summary>
        public static Factors Start(List<(Matrix Matrix, Tensor Gradient)> matrices, int rank)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = matrices[0].Matrix.Error.device;
            var p = empty([matrices.Sum(m => (long)m.Matrix.Rows * rank)], float32, device);
            var q = empty([matrices.Sum(m => (long)m.Matrix.Columns * rank)], float32, device);
            long offset = 0;
            foreach (var (matrix, gradient) in matrices)
            {
                matrix.Error.add_(gradient);
                p.narrow(0, offset, matrix.Rows * rank).view(matrix.Rows, rank).copy_(matrix.Error.mm(matrix.Q));
                offset += matrix.Rows * rank;
            }
            return new Factors(matrices, rank, p.DetachFromDisposeScope(), q.DetachFromDisposeScope());
        }

        /// <summary>After P's average: orthonormalise each P, then Q = Mᵀ P.</summary>
        public void ComputeQ()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long pOffset = 0, qOffset = 0;
            foreach (var (matrix, _) in _matrices)
            {
                var p = P.narrow(0, pOffset, matrix.Rows * _rank).view(matrix.Rows, _rank);
                var values = p.cpu().data<float>().ToArray();
                Orthonormalization.InPlace(values, matrix.Rows, _rank);
                p.copy_(tensor(values, [matrix.Rows, _rank]));
                Q.narrow(0, qOffset, matrix.Columns * _rank).view(matrix.Columns, _rank).copy_(matrix.Error.t().mm(p));
                pOffset += matrix.Rows * _rank;
                qOffset += matrix.Columns * _rank;
            }
        }

        /// <summary>After Q's average: gradient = P Qᵀ, error = M − P Qᵀ, and Q kept for the next step.</summary>
        public void Apply()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long pOffset = 0, qOffset = 0;
            foreach (var (matrix, gradient) in _matrices)
            {
                var p = P.narrow(0, pOffset, matrix.Rows * _rank).view(matrix.Rows, _rank);
                var q = Q.narrow(0, qOffset, matrix.Columns * _rank).view(matrix.Columns, _rank);
                var approximation = p.mm(q.t());
                gradient.copy_(approximation);
                matrix.Error.sub_(approximation);
                matrix.Q.copy_(q);
                pOffset += matrix.Rows * _rank;
                qOffset += matrix.Columns * _rank;
            }
        }

        public void Dispose()
        {
            P.Dispose();
            Q.Dispose();
        }
    }
}
