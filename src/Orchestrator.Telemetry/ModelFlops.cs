namespace Orchestrator.Telemetry;

/// <summary>
/// Model FLOPs for utilisation (MFU), as in the PaLM paper (appendix B): a token costs 6·N for the weights' forward
/// and backward matmuls plus 12·L·C·T for attention scores and values, with N every weight (nanoGPT's <c>estimate_mfu</c>; a tied
/// embedding counts once, as the output projection it also is).
/// Recomputation is not counted, so MFU compares models and hardware fairly.
/// </summary>
public static class ModelFlops
{
    /// <summary>FLOPs per trained token of a Transformer with <paramref name="parameters"/> weights, L layers, width C, context T.</summary>
    public static double PerTokenTransformer(long parameters, int layers, int embedding, int context)
    {
        if (parameters <= 0) throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "the model's parameter count must be positive");
        return 6.0 * parameters + 12.0 * layers * embedding * context;
    }

    /// <summary>FLOPs per trained token of a recurrent model: its weights are used once per token (6·N).</summary>
    public static double PerTokenRecurrent(long parameters)
    {
        if (parameters <= 0) throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "the model's parameter count must be positive");
        return 6.0 * parameters;
    }

    /// <summary>Achieved FLOPs over the hardware's peak; null when the peak is not configured.</summary>
    public static double? Utilisation(double flopsPerToken, double tokensPerSecond, double? peakFlops) =>
        peakFlops is > 0 && flopsPerToken > 0 ? flopsPerToken * tokensPerSecond / peakFlops.Value : null;
}
