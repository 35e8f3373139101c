using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// fp32 to IEEE binary16 bits with round-to-nearest-even, in integer arithmetic so that the CPU accelerator and CUDA
/// produce the same bits (ILGPU's own CPU conversion truncates, CUDA's rounds).
/// </summary>
public static class HalfRounding
{
    /// <summary>The binary16 bits nearest <paramref name="value"/> (ties to even; overflow to ±infinity; NaN stays NaN).</summary>
    public static ushort ToHalfBits(float value)
    {
        uint bits = (uint)Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000u;
        uint magnitude = bits & 0x7FFFFFFFu;
        if (magnitude >= 0x47800000u)
        {
            // |value| ≥ 65536, infinity or NaN.
            return (ushort)(sign | (magnitude > 0x7F800000u ? 0x7E00u : 0x7C00u));
        }

        if (magnitude < 0x38800000u)
        {
            // Subnormal or zero in binary16: adding 0.5f (whose ulp is 2^-24) rounds to a multiple of 2^-24, ties to even.
            float rounded = Interop.IntAsFloat(magnitude) + 0.5f;
            return (ushort)(sign | ((uint)Interop.FloatAsInt(rounded) - 0x3F000000u));
        }

        uint odd = (magnitude >> 13) & 1u;
        magnitude += 0xC8000FFFu + odd;
        return (ushort)(sign | (magnitude >> 13));
    }
}
