namespace Orchestrator.Training.Compression;

/// <summary>
/// Gram–Schmidt on the columns of a small row-major float32 matrix (PowerSGD's P, m×r with r ≤ 8), in managed code so
/// every rank computes the same bits from the same all-reduced input whatever its BLAS or thread count: the
/// approximation P Qᵀ must be identical on all replicas. Modified Gram–Schmidt with one re-orthogonalisation pass,
/// dot products in float64. A column that is (numerically) in the span of the previous ones becomes zero instead of
/// amplified noise, so P Pᵀ stays a projection when the rank exceeds the matrix's own rank.
/// </summary>
internal static class Orthonormalization
{
    /// <summary>Residual norms below this share of the column's norm count as linearly dependent.</summary>
    private const double DependentRatio = 1e-6;

    public static void InPlace(Span<float> matrix, int rows, int columns)
    {
        if (matrix.Length != rows * columns)
            throw new ArgumentException($"a {rows}×{columns} matrix has {rows * columns} elements, not {matrix.Length}", nameof(matrix));
        var column = new double[rows];
        for (var c = 0; c < columns; c++)
        {
            for (var i = 0; i < rows; i++) column[i] = matrix[i * columns + c];
            var original = Norm(column);
            for (var pass = 0; pass < 2; pass++)
            {
                for (var previous = 0; previous < c; previous++)
                {
                    double dot = 0;
                    for (var i = 0; i < rows; i++) dot += column[i] * matrix[i * columns + previous];
                    for (var i = 0; i < rows; i++) column[i] -= dot * matrix[i * columns + previous];
                }
            }

            var norm = Norm(column);
            var keep = original > 0 && norm > DependentRatio * original;
            for (var i = 0; i < rows; i++) matrix[i * columns + c] = keep ? (float)(column[i] / norm) : 0f;
        }
    }

    private static double Norm(double[] vector)
    {
        double sum = 0;
        foreach (var x in vector) sum += x * x;
        return Math.Sqrt(sum);
    }
}
