using ILGPU;
using ILGPU.Runtime;
using Memory.Kernels;

namespace Memory.KvCache.Tests;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class KvCodecKernelTests(CpuAccelerator cpu)
{
    [Fact]
    public void FloatToHalf_matches_dotnet_rounding_on_every_half_boundary_and_special_value()
    {
        var random = new Random(11);
        var inputs = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 65504f, 65519.99f, 65520f, 1e9f, 6e-8f, 3e-8f, 2.9802322e-8f, 6.1035156e-5f, 6.0e-5f, -1.5e-7f };
        for (int bits = 0; bits < 0x7C00; bits += 7)
        {
            // Exact halves and the midpoints between neighbours exercise round-to-nearest-even.
            float h = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float next = (float)BitConverter.UInt16BitsToHalf((ushort)(bits + 1));
            inputs.Add(h);
            inputs.Add(-h);
            inputs.Add((h + next) / 2);
            inputs.Add(-(h + next) / 2);
        }

        for (int i = 0; i < 20000; i++)
        {
            inputs.Add(BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1));
        }

        foreach (float value in inputs)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((System.Half)value);
            ushort actual = KvDequantizeKernel.FloatToHalf(value);
            if (float.IsNaN(value))
            {
                Assert.True(System.Half.IsNaN(BitConverter.UInt16BitsToHalf(actual)));
            }
            else
            {
                Assert.True(expected == actual, $"{value:R}: expected {expected:X4}, got {actual:X4}");
            }
        }
    }

    [Fact]
    public void StoredScale_is_the_smallest_bfloat16_not_below_the_input()
    {
        var random = new Random(12);
        for (int i = 0; i < 10000; i++)
        {
            float scale = (float)(random.NextDouble() * Math.Pow(10, random.Next(-6, 6)));
            float stored = KvQuantizeKernel.StoredScale(scale);
            Assert.True(stored >= scale);
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(stored) & 0xFFFF);
            Assert.True(stored <= scale * (1 + (1.0 / 128)));
        }

        Assert.Equal(0f, KvQuantizeKernel.StoredScale(0f));
        Assert.Equal(0f, KvQuantizeKernel.StoredScale(float.NaN));
    }

    [Theory]
    [InlineData(true, 16, 7)]
    [InlineData(false, 16, 7)]
    [InlineData(true, 1, 15)]
    [InlineData(false, 5, 3)]
    public void Quantize_then_dequantize_on_the_cpu_accelerator_stays_within_half_a_step(bool perChannel, int groupSize, int levels)
    {
        const int slices = 3, tokens = 37, channels = 24, anchorLevels = 63;
        var x = SyntheticKv.Plane(new Random(13), slices, tokens, channels, 3f);
        var accelerator = cpu.Accelerator;
        var kernels = new KvCodecKernels(accelerator);
        int groups = KvCodecKernels.Groups(tokens, groupSize);
        using var input = accelerator.Allocate1D(x);
        using var levelBuffer = accelerator.Allocate1D(Enumerable.Repeat(levels, slices).ToArray());
        using var anchorScales = accelerator.Allocate1D<float>(KvCodecKernels.AnchorScaleCount(slices, tokens, channels, groupSize, perChannel));
        using var anchorSymbols = accelerator.Allocate1D<short>(slices * groups * channels);
        using var anchors = accelerator.Allocate1D<float>(slices * groups * channels);
        using var deltaScales = accelerator.Allocate1D<float>(KvCodecKernels.DeltaScaleCount(slices, tokens, channels, perChannel));
        using var deltaSymbols = accelerator.Allocate1D<short>(x.Length);
        using var output = accelerator.Allocate1D<ushort>(x.Length);
        kernels.Quantize(input.View, levelBuffer.View, anchorScales.View, anchorSymbols.View, anchors.View, deltaScales.View, deltaSymbols.View, slices, tokens, channels, groupSize, perChannel, anchorLevels);
        kernels.Dequantize(anchorSymbols.View, anchorScales.View, deltaSymbols.View, deltaScales.View, output.View, slices, tokens, channels, groupSize, perChannel);
        kernels.Synchronize();
        var aScales = anchorScales.GetAsArray1D();
        var dScales = deltaScales.GetAsArray1D();
        var dSymbols = deltaSymbols.GetAsArray1D();
        var aSymbols = anchorSymbols.GetAsArray1D();
        var y = output.GetAsArray1D();

        Assert.All(aSymbols, s => Assert.InRange(s, -anchorLevels, anchorLevels));
        Assert.All(dSymbols, s => Assert.InRange(s, -levels, levels));
        for (int s = 0; s < slices; s++)
        {
            for (int t = 0; t < tokens; t++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int i = (((s * tokens) + t) * channels) + c;
                    int g = t / groupSize;
                    float step = t % groupSize == 0
                        ? aScales[perChannel ? (s * channels) + c : (s * groups) + g]
                        : dScales[perChannel ? (s * channels) + c : (s * tokens) + t];
                    float original = SyntheticKv.Value(x[i]);
                    float decoded = SyntheticKv.Value(y[i]);
                    float bound = (0.5f * step * 1.0001f) + (MathF.Abs(decoded) / 1024f) + 1e-7f;
                    Assert.True(MathF.Abs(original - decoded) <= bound, $"slice {s} token {t} channel {c}: {original} → {decoded} (step {step})");
                }
            }
        }
    }
}
