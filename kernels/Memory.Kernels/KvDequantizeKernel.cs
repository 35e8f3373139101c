using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The inverse of <see cref="KvQuantizeKernel.Quantize"/>: x = q · steps[slice], written back as fp16 bits rounded to
/// nearest even and saturated to the largest finite half.
/// </summary>
public static class KvDequantizeKernel
{
    /// <summary>One index per (slice, token, channel).</summary>
    public static void Run(Index1D index, ArrayView<short> q, ArrayView<float> steps, ArrayView<ushort> x, int sliceElements)
    {
        x[index] = GridToHalf(q[index], steps[index / sliceElements]);
    }

    /// <summary>fp16 bits of q · step, saturated to ±65504 (a grid point past the largest half rounds to it, not to infinity).</summary>
    public static ushort GridToHalf(short q, float step) => FloatToHalf(MathF.Max(-65504f, MathF.Min(65504f, q * step)));

    /// <summary>fp32 to IEEE binary16 bits, round to nearest even, overflow to infinity, NaN kept (quiet).</summary>
    public static ushort FloatToHalf(float value)
    {
        uint f = Interop.FloatAsInt(value);
        uint sign = (f >> 16) & 0x8000u;
        f &= 0x7FFFFFFFu;
        uint result;
        if (f >= 0x47800000u)
        {
            // ≥ 65536, infinity or NaN.
            result = f > 0x7F800000u ? 0x7E00u : 0x7C00u;
        }
        else if (f < 0x38800000u)
        {
            // Below the smallest normal half: adding 0.5 lets the fp32 adder round the subnormal mantissa (nearest even).
            float shifted = Interop.IntAsFloat(f) + 0.5f;
            result = Interop.FloatAsInt(shifted) - 0x3F000000u;
        }
        else
        {
            uint mantissaOdd = (f >> 13) & 1u;
            f += 0xC8000FFFu;
            f += mantissaOdd;
            result = f >> 13;
        }

        return (ushort)(result | sign);
    }
}
