using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// The host (CPU) twin of <see cref="KvQuantizeKernel"/> and <see cref="KvDequantizeKernel"/>, used when the codec's
/// accelerator is ILGPU's CPU accelerator (whose emulated threads cost far more than the work): the same arithmetic in
/// the same order, so both paths write the same grid values; and the rule that turns a preset's relative step and a
/// plane's statistics into the plane's stored step.
/// </summary>
internal static class PlaneQuantizer
{
    private static readonly float[] HalfToFloat = BuildHalfTable();

    /// <summary>Per-channel mean, sum of squared deviations and max |x| of a [tokens, channels] plane (as the kernel).</summary>
    public static void ChannelStats(ReadOnlySpan<ushort> x, int tokens, int channels, Span<float> stats)
    {
        var sums = new float[channels];
        var max = new float[channels];
        var table = HalfToFloat;
        for (int t = 0; t < tokens; t++)
        {
            var row = x.Slice(t * channels, channels);
            for (int c = 0; c < channels; c++)
            {
                float v = Finite(table[row[c]]);
                sums[c] += v;
                max[c] = MathF.Max(max[c], v < 0f ? -v : v);
            }
        }

        var means = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            means[c] = sums[c] / tokens;
            sums[c] = 0f;
        }

        for (int t = 0; t < tokens; t++)
        {
            var row = x.Slice(t * channels, channels);
            for (int c = 0; c < channels; c++)
            {
                float d = Finite(table[row[c]]) - means[c];
                sums[c] += d * d;
            }
        }

        for (int c = 0; c < channels; c++)
        {
            stats[(c * KvQuantizeKernel.StatsPerChannel) + 0] = means[c];
            stats[(c * KvQuantizeKernel.StatsPerChannel) + 1] = sums[c];
            stats[(c * KvQuantizeKernel.StatsPerChannel) + 2] = max[c];
        }
    }

    /// <summary>
    /// The stored (bfloat16) step of a plane: <paramref name="relative"/> × its spread (RMS about the channel means; the
    /// plain RMS when that is zero, as for one token), never below max |x| / <see cref="KvQuantizeKernel.MaxMagnitude"/>.
    /// </summary>
    public static float Step(ReadOnlySpan<float> stats, int tokens, int channels, double relative)
    {
        double squares = 0, meanSquares = 0;
        float max = 0f;
        for (int c = 0; c < channels; c++)
        {
            double mean = stats[c * KvQuantizeKernel.StatsPerChannel];
            double deviation = stats[(c * KvQuantizeKernel.StatsPerChannel) + 1];
            squares += deviation;
            meanSquares += (deviation / tokens) + (mean * mean);
            max = MathF.Max(max, stats[(c * KvQuantizeKernel.StatsPerChannel) + 2]);
        }

        double spread = squares > 0 ? Math.Sqrt(squares / ((double)tokens * channels)) : Math.Sqrt(meanSquares / channels);
        double step = relative * spread;
        if (!(step > 0) || !double.IsFinite(step))
        {
            step = 1;
        }

        step = Math.Max(step, max / (double)KvQuantizeKernel.MaxMagnitude);
        float stored = KvQuantizeKernel.StoredStep((float)step);
        return float.IsFinite(stored) ? stored : BitConverter.UInt32BitsToSingle(0x7F7F0000u);
    }

    /// <summary>The step's bfloat16 bits as stored in a section.</summary>
    public static ushort StepBits(float step) => (ushort)(BitConverter.SingleToUInt32Bits(step) >> 16);

    public static void Quantize(ReadOnlySpan<ushort> x, float step, Span<short> q)
    {
        var table = HalfToFloat;
        for (int i = 0; i < x.Length; i++)
        {
            q[i] = KvQuantizeKernel.QuantizeValue(table[x[i]], step);
        }
    }

    public static void Dequantize(ReadOnlySpan<short> q, float step, Span<ushort> x)
    {
        for (int i = 0; i < q.Length; i++)
        {
            x[i] = KvDequantizeKernel.GridToHalf(q[i], step);
        }
    }

    private static float Finite(float value) => float.IsFinite(value) ? value : 0f;

    private static float[] BuildHalfTable()
    {
        var table = new float[65536];
        for (int bits = 0; bits < table.Length; bits++)
        {
            table[bits] = WeightLoads.HalfToFloat((ushort)bits);
        }

        return table;
    }
}
