using System.Runtime.Intrinsics;
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
        var means = new float[channels];
        var row = new float[channels];
        for (int t = 0; t < tokens; t++)
        {
            ToFiniteFloats(x.Slice(t * channels, channels), row);
            int c = 0;
            for (; c + Vector256<float>.Count <= channels; c += Vector256<float>.Count)
            {
                var v = Vector256.Create<float>(row.AsSpan(c));
                (Vector256.Create<float>(sums.AsSpan(c)) + v).CopyTo(sums.AsSpan(c));
                Vector256.Max(Vector256.Create<float>(max.AsSpan(c)), Vector256.Abs(v)).CopyTo(max.AsSpan(c));
            }

            for (; c < channels; c++)
            {
                sums[c] += row[c];
                max[c] = MathF.Max(max[c], MathF.Abs(row[c]));
            }
        }

        for (int c = 0; c < channels; c++)
        {
            means[c] = sums[c] / tokens;
            sums[c] = 0f;
        }

        for (int t = 0; t < tokens; t++)
        {
            ToFiniteFloats(x.Slice(t * channels, channels), row);
            int c = 0;
            for (; c + Vector256<float>.Count <= channels; c += Vector256<float>.Count)
            {
                var d = Vector256.Create<float>(row.AsSpan(c)) - Vector256.Create<float>(means.AsSpan(c));
                (Vector256.Create<float>(sums.AsSpan(c)) + (d * d)).CopyTo(sums.AsSpan(c));
            }

            for (; c < channels; c++)
            {
                float d = row[c] - means[c];
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

    /// <summary>q = round(x / step) as <see cref="KvQuantizeKernel.QuantizeValue"/>, eight at a time.</summary>
    public static void Quantize(ReadOnlySpan<ushort> x, float step, Span<short> q)
    {
        var stepVector = Vector256.Create(step);
        var half = Vector256.Create(0.5f);
        var limit = Vector256.Create((float)KvQuantizeKernel.MaxMagnitude);
        int i = 0;
        for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
        {
            var bits = Vector256.WidenLower(Vector128.Create<ushort>(x.Slice(i, 8)).ToVector256Unsafe());
            var value = HalfToSingle(bits, out var nan);
            var v = value / stepVector;
            // Truncation of min(|v| + 0.5, limit), the sign put back: exactly the scalar's two branches.
            var magnitude = Vector256.ConvertToInt32(Vector256.Min(Vector256.Abs(v) + half, limit));
            var infinite = Vector256.Equals(bits & Vector256.Create(0x7FFFu), Vector256.Create(0x7C00u)).AsInt32();
            magnitude = Vector256.ConditionalSelect(infinite, Vector256.Create(KvQuantizeKernel.MaxMagnitude), magnitude);
            var signed = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero).AsInt32(), -magnitude, magnitude);
            signed = Vector256.AndNot(signed, nan.AsInt32());
            var narrow = Vector256.Narrow(signed, signed);
            narrow.GetLower().CopyTo(q.Slice(i, 8));
        }

        for (; i < x.Length; i++)
        {
            q[i] = KvQuantizeKernel.QuantizeValue(HalfToFloat[x[i]], step);
        }
    }

    /// <summary>x = fp16(q · step) saturated, as <see cref="KvDequantizeKernel.GridToHalf"/>, eight at a time.</summary>
    public static void Dequantize(ReadOnlySpan<short> q, float step, Span<ushort> x)
    {
        var stepVector = Vector256.Create(step);
        var largest = Vector256.Create(65504f);
        int i = 0;
        for (; i + Vector256<float>.Count <= q.Length; i += Vector256<float>.Count)
        {
            var grid = Vector256.WidenLower(Vector128.Create<short>(q.Slice(i, 8)).ToVector256Unsafe());
            var value = Vector256.Min(largest, Vector256.Max(-largest, Vector256.ConvertToSingle(grid) * stepVector));
            var halves = SingleToHalf(value);
            Vector256.Narrow(halves, halves).GetLower().CopyTo(x.Slice(i, 8));
        }

        for (; i < q.Length; i++)
        {
            x[i] = KvDequantizeKernel.GridToHalf(q[i], step);
        }
    }

    /// <summary>Exact fp16 → fp32 of eight halves (in the low 16 bits of each lane); infinities and NaN come out as
    /// finite values of magnitude ≥ 65536, and <paramref name="nan"/> marks the NaN lanes.</summary>
    private static Vector256<float> HalfToSingle(Vector256<uint> bits, out Vector256<uint> nan)
    {
        var magnitude = bits & Vector256.Create(0x7FFFu);
        nan = Vector256.GreaterThan(magnitude, Vector256.Create(0x7C00u));
        // Shifted into fp32 position the exponent is 112 short (and subnormals become fp32 subnormals): scale by 2^112.
        var value = (magnitude << 13).AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(0x77800000u));
        return (value.AsUInt32() | ((bits & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>fp32 → fp16 bits (round to nearest even) for finite |value| ≤ 65504, as <see cref="KvDequantizeKernel.FloatToHalf"/>.</summary>
    private static Vector256<uint> SingleToHalf(Vector256<float> value)
    {
        var f = value.AsUInt32();
        var sign = (f >> 16) & Vector256.Create(0x8000u);
        f &= Vector256.Create(0x7FFFFFFFu);
        var subnormal = Vector256.LessThan(f, Vector256.Create(0x38800000u));
        var small = (f.AsSingle() + Vector256.Create(0.5f)).AsUInt32() - Vector256.Create(0x3F000000u);
        var normal = (f + Vector256.Create(0xC8000FFFu) + ((f >> 13) & Vector256<uint>.One)) >> 13;
        return Vector256.ConditionalSelect(subnormal, small, normal) | sign;
    }

    /// <summary>A row of halves as floats, non-finite values as 0 (the statistics' convention).</summary>
    private static void ToFiniteFloats(ReadOnlySpan<ushort> x, Span<float> row)
    {
        int i = 0;
        for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
        {
            var bits = Vector256.WidenLower(Vector128.Create<ushort>(x.Slice(i, 8)).ToVector256Unsafe());
            var value = HalfToSingle(bits, out _);
            var special = Vector256.GreaterThanOrEqual(bits & Vector256.Create(0x7FFFu), Vector256.Create(0x7C00u));
            Vector256.AndNot(value.AsUInt32(), special).AsSingle().CopyTo(row.Slice(i, 8));
        }

        for (; i < x.Length; i++)
        {
            row[i] = Finite(HalfToFloat[x[i]]);
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
