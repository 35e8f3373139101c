using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class ElementwiseKernelTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Embedding_widens_every_float16_bit_pattern_exactly()
    {
        const int dim = 256;
        var words = new ushort[65536];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = (ushort)i;
        }

        var ids = Enumerable.Range(0, 256).Reverse().ToArray();
        using var table = fixture.Upload(words);
        using var idBuffer = fixture.Upload(ids);
        using var x = fixture.Accelerator.Allocate1D<float>(words.Length);
        fixture.Kernels.Embedding(idBuffer.View, new WeightView(table.View, WeightType.Float16), x.View, ids.Length, dim);
        var actual = fixture.Download(x, words.Length);
        for (int t = 0; t < ids.Length; t++)
        {
            for (int c = 0; c < dim; c++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf((ushort)((ids[t] * dim) + c));
                float got = actual[(t * dim) + c];
                Assert.True(float.IsNaN(expected) ? float.IsNaN(got) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got), $"bits {(ids[t] * dim) + c:X4}: {expected} vs {got}");
            }
        }
    }

    [Fact]
    public void Embedding_reads_bfloat16_rows_by_token_id()
    {
        const int dim = 6, vocab = 10;
        var (words, exact) = TestData.Encode(TestData.Floats(new Random(3), vocab * dim), WeightType.BFloat16);
        int[] ids = [4, 0, 9, 4];
        using var table = fixture.Upload(words);
        using var idBuffer = fixture.Upload(ids);
        using var x = fixture.Accelerator.Allocate1D<float>(ids.Length * dim);
        fixture.Kernels.Embedding(idBuffer.View, new WeightView(table.View, WeightType.BFloat16), x.View, ids.Length, dim);
        var actual = fixture.Download(x, ids.Length * dim);
        var expected = ids.SelectMany(id => exact.Skip(id * dim).Take(dim)).Select(v => (double)v).ToArray();
        TestData.AssertClose(expected, actual, 0);
    }

    [Fact]
    public void SwiGlu_multiplies_silu_of_gate_by_up()
    {
        var random = new Random(5);
        var gate = TestData.Floats(random, 101, 6f);
        var up = TestData.Floats(random, 101, 2f);
        using var g = fixture.Upload(gate);
        using var u = fixture.Upload(up);
        fixture.Kernels.SwiGlu(g.View, u.View, gate.Length);
        var actual = fixture.Download(g, gate.Length);
        var expected = gate.Select((v, i) => v / (1 + Math.Exp(-v)) * up[i]).ToArray();
        TestData.AssertClose(expected, actual, 1e-6);
    }

    [Fact]
    public void LogSoftmax_normalises_each_row()
    {
        const int rows = 3, width = 300;
        var x = TestData.Floats(new Random(9), rows * width, 20f);
        using var input = fixture.Upload(x);
        using var output = fixture.Accelerator.Allocate1D<float>(rows * width);
        fixture.Kernels.LogSoftmax(input.View, output.View, rows, width);
        var actual = fixture.Download(output, rows * width);
        var expected = new double[rows * width];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * width).Take(width).Select(v => (double)v).ToArray();
            double max = row.Max();
            double logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
            for (int i = 0; i < width; i++)
            {
                expected[(r * width) + i] = row[i] - max - logSum;
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }
}
