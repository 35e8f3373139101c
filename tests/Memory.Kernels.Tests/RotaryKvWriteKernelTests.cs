using Memory.Kernels;
using Half = ILGPU.Half;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class RotaryKvWriteKernelTests(CpuAcceleratorFixture fixture)
{
    private const int Heads = 3, KvHeads = 2, HeadDim = 8, BlockSize = 2;
    private const int KvDim = KvHeads * HeadDim;

    [Fact]
    public void Rotates_queries_in_place_and_stores_rotated_keys_and_plain_values_by_block_table()
    {
        int[] positions = [0, 3, 17, 8191];
        int[] offsets = [0, 0, 0, 0];
        // Position p lives in block table[p / BlockSize]: give each position used its own block.
        var table = new int[(8191 / BlockSize) + 1];
        int[] blocks = [5, 2, 7, 1];
        for (int t = 0; t < positions.Length; t++)
        {
            table[positions[t] / BlockSize] = blocks[t];
        }

        int tokens = positions.Length;
        var random = new Random(21);
        var q = TestData.Floats(random, tokens * Heads * HeadDim);
        var k = TestData.Floats(random, tokens * KvDim);
        var v = TestData.Floats(random, tokens * KvDim);
        var invFreq = Enumerable.Range(0, HeadDim / 2).Select(j => (float)Math.Pow(10000, -2.0 * j / HeadDim)).ToArray();
        using var qBuffer = fixture.Upload(q);
        using var kBuffer = fixture.Upload(k);
        using var vBuffer = fixture.Upload(v);
        using var kCache = fixture.Upload(new Half[8 * BlockSize * KvDim]);
        using var vCache = fixture.Upload(new Half[8 * BlockSize * KvDim]);
        using var posBuffer = fixture.Upload(positions);
        using var offBuffer = fixture.Upload(offsets);
        using var tableBuffer = fixture.Upload(table);
        using var rope = new RopeTable(fixture.Accelerator, invFreq);
        rope.EnsurePositions(100);
        rope.EnsurePositions(positions.Max() + 1); // grows: the rows computed first must survive the copy
        fixture.Kernels.RotaryKvWrite(qBuffer.View, kBuffer.View, vBuffer.View, kCache.View, vCache.View, posBuffer.View, offBuffer.View, tableBuffer.View, rope, tokens, Heads, KvHeads, HeadDim, BlockSize);

        TestData.AssertClose(Rotated(q, positions, invFreq, Heads), fixture.Download(qBuffer, q.Length), 1e-5);
        var keys = fixture.Download(kCache, 8 * BlockSize * KvDim).Select(h => (float)h).ToArray();
        var values = fixture.Download(vCache, 8 * BlockSize * KvDim).Select(h => (float)h).ToArray();
        var rotatedKeys = Rotated(k, positions, invFreq, KvHeads);
        for (int t = 0; t < tokens; t++)
        {
            int slot = (blocks[t] * BlockSize) + (positions[t] % BlockSize);
            for (int c = 0; c < KvDim; c++)
            {
                Assert.Equal((float)(System.Half)rotatedKeys[(t * KvDim) + c], keys[(slot * KvDim) + c], 1e-3f);
                Assert.Equal((float)(System.Half)v[(t * KvDim) + c], values[(slot * KvDim) + c]);
            }
        }
    }

    [Fact]
    public void Refuses_a_table_for_another_head_dimension()
    {
        using var buffer = fixture.Upload(new float[64]);
        using var cache = fixture.Upload(new Half[64]);
        using var ints = fixture.Upload(new int[4]);
        using var rope = new RopeTable(fixture.Accelerator, [1f, 0.5f]);
        Assert.Throws<ArgumentException>(() => fixture.Kernels.RotaryKvWrite(buffer.View, buffer.View, buffer.View, cache.View, cache.View, ints.View, ints.View, ints.View, rope, 1, 1, 1, HeadDim, BlockSize));
    }

    private static double[] Rotated(float[] values, int[] positions, float[] invFreq, int heads)
    {
        var expected = new double[values.Length];
        for (int t = 0; t < positions.Length; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int b = ((t * heads) + h) * HeadDim;
                for (int j = 0; j < HeadDim / 2; j++)
                {
                    double angle = (float)(positions[t] * invFreq[j]); // fp32 product, as in transformers
                    double x1 = values[b + j], x2 = values[b + j + (HeadDim / 2)];
                    expected[b + j] = (x1 * Math.Cos(angle)) - (x2 * Math.Sin(angle));
                    expected[b + j + (HeadDim / 2)] = (x2 * Math.Cos(angle)) + (x1 * Math.Sin(angle));
                }
            }
        }

        return expected;
    }
}
