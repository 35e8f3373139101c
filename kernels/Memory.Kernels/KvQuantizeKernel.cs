using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The quantising half of the KV block codec: entropy-coded uniform quantisation. A tensor is [slices, tokens,
/// channels] of fp16 bits, a slice being one layer of one block's keys or values. Each slice has one step; the
/// host sets it from the per-channel statistics of <see cref="ChannelStats"/> and the preset, then
/// <see cref="Quantize"/> maps every element to round(x / step) on that grid. Everything after this (prediction,
/// entropy coding) is exact integer work, so the grid values are the only floating-point result of encoding.
/// </summary>
public static class KvQuantizeKernel
{
    /// <summary>Largest |q|; steps are never below max |x| / this, so nothing clips.</summary>
    public const int MaxMagnitude = 16383;

    /// <summary>Floats <see cref="ChannelStats"/> writes per (slice, channel).</summary>
    public const int StatsPerChannel = 3;

    /// <summary>
    /// Per (slice, channel): mean over tokens, sum of squared deviations from it, and max |x| (two passes, tokens in
    /// order; NaN and infinities count as 0). One index per (slice, channel); reads are coalesced across channels.
    /// </summary>
    public static void ChannelStats(Index1D index, ArrayView<ushort> x, ArrayView<float> stats, int tokens, int channels)
    {
        int slice = index / channels;
        int channel = index % channels;
        long start = ((long)slice * tokens * channels) + channel;
        float sum = 0f;
        float max = 0f;
        for (int t = 0; t < tokens; t++)
        {
            float v = Finite(WeightLoads.HalfToFloat(x[start + ((long)t * channels)]));
            sum += v;
            max = MathF.Max(max, v < 0f ? -v : v);
        }

        float mean = sum / tokens;
        float squares = 0f;
        for (int t = 0; t < tokens; t++)
        {
            float d = Finite(WeightLoads.HalfToFloat(x[start + ((long)t * channels)])) - mean;
            squares += d * d;
        }

        stats[(index * StatsPerChannel) + 0] = mean;
        stats[(index * StatsPerChannel) + 1] = squares;
        stats[(index * StatsPerChannel) + 2] = max;
    }

    /// <summary>q = round(x / steps[slice]) for every element; one index per (slice, token, channel).</summary>
    public static void Quantize(Index1D index, ArrayView<ushort> x, ArrayView<float> steps, ArrayView<short> q, int sliceElements)
    {
        q[index] = QuantizeValue(WeightLoads.HalfToFloat(x[index]), steps[index / sliceElements]);
    }

    /// <summary>round(value / step), halves away from zero, clamped to ±<see cref="MaxMagnitude"/>; NaN → 0, ±∞ → ±max.</summary>
    public static short QuantizeValue(float value, float step)
    {
        if (IsNaN(value) || !(step > 0f))
        {
            return 0;
        }

        float v = value / step;
        int q = v >= 0f ? (int)MathF.Min(v + 0.5f, MaxMagnitude) : -(int)MathF.Min(0.5f - v, MaxMagnitude);
        return (short)q;
    }

    /// <summary>The smallest bfloat16 value ≥ <paramref name="step"/> (steps are stored as bfloat16); 0 for ≤ 0 or NaN.</summary>
    public static float StoredStep(float step)
    {
        if (!(step > 0f))
        {
            return 0f;
        }

        uint bits = Interop.FloatAsInt(step);
        if ((bits & 0xFFFFu) != 0)
        {
            bits = (bits & 0xFFFF0000u) + 0x10000u;
        }

        return Interop.IntAsFloat(bits);
    }

    private static float Finite(float value) => (Interop.FloatAsInt(value) & 0x7F800000u) == 0x7F800000u ? 0f : value;

    private static bool IsNaN(float value) => (Interop.FloatAsInt(value) & 0x7FFFFFFFu) > 0x7F800000u;
}
