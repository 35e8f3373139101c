using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>Seeded random inputs and weight encodings for the kernel tests.</summary>
internal static class TestData
{
    public static float[] Floats(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>Encodes <paramref name="values"/> as 16-bit words of <paramref name="type"/>; returns the words and the exact values they hold.</summary>
    public static (ushort[] Words, float[] Exact) Encode(float[] values, int type)
    {
        if (type == WeightType.Float32)
        {
            var words = new ushort[values.Length * 2];
            for (int i = 0; i < values.Length; i++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(values[i]);
                words[2 * i] = (ushort)bits;
                words[(2 * i) + 1] = (ushort)(bits >> 16);
            }

            return (words, (float[])values.Clone());
        }

        var result = new ushort[values.Length];
        var exact = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (type == WeightType.BFloat16)
            {
                result[i] = (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16);
                exact[i] = BitConverter.UInt32BitsToSingle((uint)result[i] << 16);
            }
            else
            {
                result[i] = BitConverter.HalfToUInt16Bits((Half)values[i]);
                exact[i] = (float)BitConverter.UInt16BitsToHalf(result[i]);
            }
        }

        return (result, exact);
    }

    public static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"NaN at {i}");
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= tolerance * (1 + Math.Abs(expected[i])), $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
