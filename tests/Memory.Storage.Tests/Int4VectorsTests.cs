using System.Runtime.InteropServices;
using Memory.Storage.Vectors;

namespace Memory.Storage.Tests;

public class Int4VectorsTests
{
    [Theory]
    [InlineData(48)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(384)]
    [InlineData(1536)]
    public void The_packed_dot_product_equals_the_dot_product_of_the_codes(int dimensions)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var vector = TestVectors.Random(seed, dimensions);
            var query = TestVectors.Random(1000 + seed, dimensions);
            var packed = new byte[Int4Vectors.Stride(dimensions)];
            var scale = Int4Vectors.Quantize(vector, packed);
            var queryCodes = new sbyte[Int4Vectors.PaddedDimensions(dimensions)];
            var queryScale = Int4Vectors.QuantizeQuery(query, queryCodes, out var querySum);

            var expected = 0;
            for (var d = 0; d < queryCodes.Length; d++)
            {
                var (block, within) = (d / 64, d % 64);
                var pair = packed[(block * 32) + (within % 32)];
                var code = (within < 32 ? pair & 0x0F : pair >> 4) - 8;
                Assert.InRange(code, -7, 7);
                Assert.True(d < dimensions || code == 0, "padding codes are zero");
                expected += code * queryCodes[d];
            }

            var actual = Int4Vectors.DotWithOffset(ref MemoryMarshal.GetArrayDataReference(packed), ref MemoryMarshal.GetArrayDataReference(queryCodes), packed.Length)
                - (8 * querySum);
            Assert.Equal(expected, actual);

            // Coarse, but a cosine estimate: within a few hundredths for a few hundred dimensions.
            var cosine = TestVectors.Cosine(vector, query);
            Assert.InRange(actual * scale * queryScale, cosine - (dimensions >= 384 ? 0.05 : 0.15), cosine + (dimensions >= 384 ? 0.05 : 0.15));
        }
    }

    [Fact]
    public void A_zero_vector_scores_zero()
    {
        var packed = new byte[Int4Vectors.Stride(48)];
        Assert.Equal(0f, Int4Vectors.Quantize(new float[48], packed));
        var queryCodes = new sbyte[Int4Vectors.PaddedDimensions(48)];
        Int4Vectors.QuantizeQuery(TestVectors.Random(3), queryCodes, out var querySum);
        Assert.Equal(0, Int4Vectors.DotWithOffset(ref MemoryMarshal.GetArrayDataReference(packed), ref MemoryMarshal.GetArrayDataReference(queryCodes), packed.Length) - (8 * querySum));
    }
}
