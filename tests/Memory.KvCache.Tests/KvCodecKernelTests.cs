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
    public void StoredStep_is_the_smallest_bfloat16_not_below_the_input()
    {
        var random = new Random(12);
        for (int i = 0; i < 10000; i++)
        {
            float step = (float)(random.NextDouble() * Math.Pow(10, random.Next(-6, 6)));
            float stored = KvQuantizeKernel.StoredStep(step);
            Assert.True(stored >= step);
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(stored) & 0xFFFF);
            Assert.True(stored <= step * (1 + (1.0 / 128)));
        }

        Assert.Equal(0f, KvQuantizeKernel.StoredStep(0f));
        Assert.Equal(0f, KvQuantizeKernel.StoredStep(float.NaN));
    }

    [Fact]
    public void QuantizeValue_rounds_halves_away_from_zero_and_clamps()
    {
        Assert.Equal(2, KvQuantizeKernel.QuantizeValue(1.5f, 1f));
        Assert.Equal(-2, KvQuantizeKernel.QuantizeValue(-1.5f, 1f));
        Assert.Equal(0, KvQuantizeKernel.QuantizeValue(0.49f, 1f));
        Assert.Equal(KvQuantizeKernel.MaxMagnitude, KvQuantizeKernel.QuantizeValue(float.PositiveInfinity, 1f));
        Assert.Equal(-KvQuantizeKernel.MaxMagnitude, KvQuantizeKernel.QuantizeValue(-1e30f, 1f));
        Assert.Equal(0, KvQuantizeKernel.QuantizeValue(float.NaN, 1f));
        Assert.Equal(0, KvQuantizeKernel.QuantizeValue(5f, 0f));
    }

    [Theory]
    [InlineData(3, 37, 24)]
    [InlineData(2, 1, 8)]
    [InlineData(5, 64, 128)]
    public void Kernels_on_the_cpu_accelerator_match_the_host_twin_and_stay_within_half_a_step(int slices, int tokens, int channels)
    {
        var x = SyntheticKv.Plane(new Random(13 + tokens), slices, tokens, channels, 3f);
        x[0] = 0x7C00;
        x[^1] = 0xFE00;
        var accelerator = cpu.Accelerator;
        var kernels = new KvCodecKernels(accelerator);
        int plane = tokens * channels;
        using var input = accelerator.Allocate1D(x);
        using var stats = accelerator.Allocate1D<float>(slices * channels * KvQuantizeKernel.StatsPerChannel);
        kernels.ChannelStats(input.View, stats.View, slices, tokens, channels);
        kernels.Synchronize();
        var deviceStats = stats.GetAsArray1D();
        var steps = new float[slices];
        for (int s = 0; s < slices; s++)
        {
            var hostStats = new float[channels * KvQuantizeKernel.StatsPerChannel];
            Memory.KvCache.Codec.PlaneQuantizer.ChannelStats(x.AsSpan(s * plane, plane), tokens, channels, hostStats);
            Assert.Equal(hostStats, deviceStats.AsSpan(s * hostStats.Length, hostStats.Length).ToArray());
            steps[s] = Memory.KvCache.Codec.PlaneQuantizer.Step(hostStats, tokens, channels, 0.5);
        }

        using var stepBuffer = accelerator.Allocate1D(steps);
        using var q = accelerator.Allocate1D<short>(x.Length);
        using var output = accelerator.Allocate1D<ushort>(x.Length);
        kernels.Quantize(input.View, stepBuffer.View, q.View, slices, tokens, channels);
        kernels.Dequantize(q.View, stepBuffer.View, output.View, slices, tokens, channels);
        kernels.Synchronize();
        var grid = q.GetAsArray1D();
        var y = output.GetAsArray1D();
        for (int s = 0; s < slices; s++)
        {
            var hostGrid = new short[plane];
            Memory.KvCache.Codec.PlaneQuantizer.Quantize(x.AsSpan(s * plane, plane), steps[s], hostGrid);
            Assert.Equal(hostGrid, grid.AsSpan(s * plane, plane).ToArray());
            var hostOut = new ushort[plane];
            Memory.KvCache.Codec.PlaneQuantizer.Dequantize(hostGrid, steps[s], hostOut);
            Assert.Equal(hostOut, y.AsSpan(s * plane, plane).ToArray());
        }

        for (int i = 1; i < x.Length - 1; i++)
        {
            float step = steps[i / plane];
            float original = SyntheticKv.Value(x[i]);
            float decoded = SyntheticKv.Value(y[i]);
            float bound = (0.5f * step * 1.0001f) + (MathF.Abs(decoded) / 1024f) + 1e-7f;
            Assert.True(MathF.Abs(original - decoded) <= bound, $"element {i}: {original} → {decoded} (step {step})");
        }

        Assert.True(SyntheticKv.Value(y[0]) > 0 && float.IsFinite(SyntheticKv.Value(y[0])), "+∞ clamps to the grid's largest value");
        Assert.Equal(0f, SyntheticKv.Value(y[^1]));
    }
}
