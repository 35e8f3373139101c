using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The prediction step of the quantised KV encoder on a device, between <see cref="KvQuantizeKernel"/> and
/// <see cref="RansLaneEncodeKernel"/>: per channel the integer predictor (<see cref="KvGridPredictor"/>) with the smallest
/// sum of |residual|, per slice the initial magnitude estimates, then per element a residual record that says exactly
/// which rANS symbols code it. The host twin is QuantizedPlaneCoder.ChoosePredictors / EncodeLane in Memory.KvCache;
/// the integers must agree bit for bit. Grid values are [slices, tokens, channels]; one thread per (slice, channel)
/// walks its channel's tokens in order, so neighbouring threads read neighbouring elements.
/// </summary>
public static class KvResidualKernel
{
    /// <summary>Largest estimate (they index a class table of 2^16 entries).</summary>
    public const int EstimateCap = (1 << 16) - 1;

    /// <summary>A record: the zigzagged residual u in bits 0..15, its raw bit count below the leading one in 16..19, its token symbol in 20..29.</summary>
    public const int RawShift = 16;

    /// <summary>Where a record's token symbol (class · Tokens + token) starts.</summary>
    public const int SymbolShift = 20;

    /// <summary>
    /// Per (slice, channel): the predictor with the smallest sum of |residual| over tokens 1.. (ties: previous, then
    /// mean, then none, as the host), to <paramref name="modes"/>, and that sum to <paramref name="sums"/>.
    /// </summary>
    public static void ChoosePredictors(Index1D index, ArrayView<short> q, ArrayView<byte> modes, ArrayView<uint> sums, int tokens, int channels)
    {
        int slice = index / channels;
        int channel = index % channels;
        long start = ((long)slice * tokens * channels) + channel;
        int above = q[start];
        int mean = KvGridPredictor.UpdateMean(0, above, 0);
        uint zero = 0, previous = 0, running = 0;
        for (int t = 1; t < tokens; t++)
        {
            int value = q[start + ((long)t * channels)];
            zero += (uint)Abs(value);
            previous += (uint)Abs(value - above);
            running += (uint)Abs(value - KvGridPredictor.MeanPrediction(mean));
            mean = KvGridPredictor.UpdateMean(mean, value, t);
            above = value;
        }

        byte mode = previous < zero && previous <= running ? KvGridPredictor.PredictPrevious : running < zero ? KvGridPredictor.PredictMean : KvGridPredictor.PredictZero;
        modes[index] = mode;
        sums[index] = mode == KvGridPredictor.PredictPrevious ? previous : mode == KvGridPredictor.PredictMean ? running : zero;
    }

    /// <summary>
    /// Per slice: the initial estimates (16 × mean |s|, capped) of first tokens (from the first row) and of the others
    /// (from the chosen predictors' sums) to <paramref name="estimates"/> at 2 · slice and 2 · slice + 1. A slice's
    /// channels are few hundred and this runs once a slice, so one thread sums them.
    /// </summary>
    public static void Estimates(Index1D index, ArrayView<short> q, ArrayView<uint> sums, ArrayView<int> estimates, int tokens, int channels)
    {
        int slice = index;
        long start = (long)slice * tokens * channels;
        long sumsStart = (long)slice * channels;
        long first = 0, rest = 0;
        for (int c = 0; c < channels; c++)
        {
            first += Abs(q[start + c]);
            rest += sums[sumsStart + c];
        }

        estimates[2 * slice] = (int)Math.Min(EstimateCap, first * 16 / channels);
        estimates[(2 * slice) + 1] = tokens > 1 ? (int)Math.Min(EstimateCap, rest * 16 / ((long)(tokens - 1) * channels)) : 0;
    }

    /// <summary>
    /// Per (slice, channel): each token's residual against its predictor, as a record (see <see cref="RawShift"/>) at the
    /// grid value's index in <paramref name="records"/>. Tokens after the first take their class from the channel's
    /// running estimate here; a first token's class depends on the lane's earlier channels, so its record holds the bare
    /// token and <see cref="RansLaneEncodeKernel"/> adds the class.
    /// </summary>
    public static void Residuals(Index1D index, ArrayView<short> q, ArrayView<byte> modes, ArrayView<int> estimates, ArrayView<byte> classTable, ArrayView<int> records, int tokens, int channels)
    {
        int slice = index / channels;
        int channel = index % channels;
        long start = ((long)slice * tokens * channels) + channel;
        int mode = modes[index];
        int running = estimates[(2 * slice) + 1];
        int mean = 0, previous = 0;
        for (int t = 0; t < tokens; t++)
        {
            long at = start + ((long)t * channels);
            int value = q[at];
            int s = value - KvGridPredictor.Prediction(mode, t, previous, mean);
            mean = KvGridPredictor.UpdateMean(mean, value, t);
            previous = value;
            uint u = (uint)((s << 1) ^ (s >> 31));
            int raw = u >= RansLaneDecodeKernel.DirectTokens ? 31 - IntrinsicMath.BitOperations.LeadingZeroCount(u) : 0;
            int symbol = raw > 0 ? RansLaneDecodeKernel.DirectTokens + raw - 4 : (int)u;
            if (t > 0)
            {
                symbol += classTable[running] * RansLaneDecodeKernel.Tokens;
                running = KvGridPredictor.UpdateEstimate(running, Abs(s));
            }

            records[at] = (int)u | (raw << RawShift) | (symbol << SymbolShift);
        }
    }

    private static int Abs(int value) => value < 0 ? -value : value;
}
