using Memory.Kernels;

namespace Memory.Kernels.Tests;

public sealed class HalfRoundingTests
{
    [Fact]
    public void Rounds_like_System_Half_for_normals_subnormals_ties_and_specials()
    {
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, 1e6f, -1e6f, 6.1035156e-5f, 6.1e-5f, 5.9604645e-8f, 2.9802322e-8f,
            2.9802326e-8f, 1e-9f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon,
            1.00048828125f, 1.00146484375f, // exact ties between binary16 neighbours: to even
        };
        var random = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            values.Add(BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1));
            values.Add((float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 18))));
        }

        foreach (float value in values.Where(v => !float.IsNaN(v)))
        {
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)value), HalfRounding.ToHalfBits(value));
        }

        Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf(HalfRounding.ToHalfBits(float.NaN))));
    }
}
