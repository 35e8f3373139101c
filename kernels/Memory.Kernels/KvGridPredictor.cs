namespace Memory.Kernels;

/// <summary>
/// The integer predictors and running magnitude estimates of the quantised KV sections. They live here, next to the
/// kernels, because the host encoder, the host decoder and <see cref="RansLaneDecodeKernel"/> must compute exactly the
/// same integers: one definition for all three. Only integer arithmetic (arithmetic shifts of signed values), so every
/// device agrees bit for bit.
/// </summary>
public static class KvGridPredictor
{
    public const byte PredictZero = 0;
    public const byte PredictPrevious = 1;
    public const byte PredictMean = 2;

    /// <summary>Estimates are 16 × mean |s|, an exponential moving average with weight 2^-<see cref="EstimateShift"/>.</summary>
    public const int EstimateShift = 3;

    /// <summary>Largest magnitude an estimate takes in, so that estimates stay below 2^16.</summary>
    public const int EstimatedMagnitudeCap = 4095;

    /// <summary>The value a channel's predictor expects at token <paramref name="t"/> (none for the first token).</summary>
    public static int Prediction(int mode, int t, int previous, int mean)
    {
        if (t == 0)
        {
            return 0;
        }

        if (mode == PredictPrevious)
        {
            return previous;
        }

        return mode == PredictMean ? MeanPrediction(mean) : 0;
    }

    /// <summary>The running mean after <paramref name="t"/> earlier values (fixed point, 8 fraction bits) takes in <paramref name="value"/>.</summary>
    public static int UpdateMean(int mean, int value, int t) => t == 0 ? value << 8 : mean + (((value << 8) - mean) >> MeanShift(t));

    /// <summary>Weight 1/2, 1/4, 1/4, then 1/8 for each new value: the plain mean at first, then a moving average.</summary>
    public static int MeanShift(int t)
    {
        if (t == 1)
        {
            return 1;
        }

        return t == 2 || t == 3 ? 2 : 3;
    }

    /// <summary>The running mean rounded to the grid.</summary>
    public static int MeanPrediction(int mean) => (mean + 128) >> 8;

    /// <summary>The estimate after coding a residual of magnitude <paramref name="magnitude"/>.</summary>
    public static int UpdateEstimate(int estimate, int magnitude) =>
        estimate + (((Math.Min(magnitude, EstimatedMagnitudeCap) << 4) - estimate) >> EstimateShift);
}
