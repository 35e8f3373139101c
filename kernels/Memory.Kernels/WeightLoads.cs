using ILGPU;

namespace Memory.Kernels;

/// <summary>Widening loads from 16-bit-word weight buffers, usable inside kernels.</summary>
public static class WeightLoads
{
    /// <summary>Element <paramref name="index"/> of <paramref name="data"/> as fp32.</summary>
    public static float Load(ArrayView<ushort> data, int index, int type)
    {
        if (type == WeightType.BFloat16)
        {
            return Interop.IntAsFloat((uint)data[index] << 16);
        }

        if (type == WeightType.Float16)
        {
            return HalfToFloat(data[index]);
        }

        uint lo = data[2 * index];
        uint hi = data[(2 * index) + 1];
        return Interop.IntAsFloat(lo | (hi << 16));
    }

    /// <summary>A 16-bit weight's bits (bf16 or fp16) as fp32; fp16 through the hardware conversion where there is one.</summary>
    public static float Widen(ushort bits, int type) =>
        type == WeightType.BFloat16 ? Interop.IntAsFloat((uint)bits << 16) : (float)Interop.IntAsFloat(bits);

    /// <summary>IEEE binary16 bits to fp32, exact for every input including subnormals, infinities and NaN.</summary>
    public static float HalfToFloat(ushort bits)
    {
        uint h = bits;
        uint sign = (h & 0x8000u) << 16;
        uint exponent = (h >> 10) & 0x1Fu;
        uint mantissa = h & 0x3FFu;
        if (exponent == 0)
        {
            // Subnormal: mantissa * 2^-24, exact in fp32.
            float magnitude = mantissa * 5.9604644775390625e-8f;
            return sign != 0 ? -magnitude : magnitude;
        }

        if (exponent == 31)
        {
            return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        }

        return Interop.IntAsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    }
}
