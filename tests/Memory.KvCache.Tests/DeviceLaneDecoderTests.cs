using Half = System.Half;
using ILGPU.Runtime;
using Memory.KvCache.Codec;
using Memory.Kernels;

namespace Memory.KvCache.Tests;

/// <summary>
/// The device decoding path of quantised blocks (<see cref="RansLaneDecodeKernel"/> through
/// <see cref="DeviceLaneDecoder"/>), run on ILGPU's CPU accelerator: bit-exact with the host decoder, and corrupt lanes
/// rejected with the host decoder's errors.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeviceLaneDecoderTests(CpuAccelerator cpu)
{
    private static readonly KvCodecPreset[] Quantized = [.. KvCodecPreset.All.Where(p => !p.IsLossless)];

    [Fact]
    public void Every_lane_count_from_1_to_16_decodes_bit_exactly_in_one_mixed_batch()
    {
        // 256 tokens × (16k + 1) channels codes in k lanes; odd channel counts leave the last lane one channel short.
        // ILGPU's CPU accelerator runs kernels far slower than the host coder: one layer a block, two presets.
        var items = Enumerable.Range(1, 16).Select(k => SyntheticKv.Spiky(SyntheticKv.Create(1, 256, (16 * k) + 1, 100 + k), 200 + k)).ToList();
        Assert.Equal(Enumerable.Range(1, 16), items.Select(i => QuantizedPlaneCoder.LaneCount(i.Tokens, i.Channels)));
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        foreach (var preset in new[] { KvCodecPreset.High, KvCodecPreset.Compact })
        {
            var encoded = cpu.Codec.EncodeBatch(items, preset);
            Assert.True(encoded.Max(LargestGridValue) > 256, "some spike's residual needs two raw chunks");
            AssertSameDecode(cpu.Codec.DecodeBatch(encoded), device.DecodeBatch(encoded));
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1, 7)]
    [InlineData(3, 1, 300)]
    [InlineData(1, 2, 3)]
    [InlineData(2, 37, 445)]
    [InlineData(1, 256, 64)]
    [InlineData(1, 256, 129)]
    [InlineData(1, 255, 1)]
    public void Odd_shapes_decode_like_the_host(int layers, int tokens, int channels)
    {
        var items = new[] { SyntheticKv.Create(layers, tokens, channels, tokens + channels), SyntheticKv.Spiky(SyntheticKv.Create(layers, tokens, channels, 7 * channels), channels) };
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        foreach (var preset in Quantized)
        {
            var encoded = cpu.Codec.EncodeBatch(items, preset);
            AssertSameDecode(cpu.Codec.DecodeBatch(encoded), device.DecodeBatch(encoded));
            AssertSameDecode([cpu.Codec.Decode(encoded[1])], [device.Decode(encoded[1])]);
        }
    }

    [Fact]
    public void Lossless_and_quantised_blocks_share_a_batch()
    {
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        var a = SyntheticKv.Create(2, 64, 40, 61);
        var b = SyntheticKv.Create(1, 16, 40, 62);
        var c = SyntheticKv.Create(2, 64, 40, 63);
        byte[][] encoded = [cpu.Codec.Encode(a, KvCodecPreset.Balanced), cpu.Codec.Encode(b, KvCodecPreset.Lossless), cpu.Codec.Encode(c, KvCodecPreset.High), cpu.Codec.Encode(b, KvCodecPreset.Compact)];
        var decoded = device.DecodeBatch(encoded);
        AssertSameDecode(cpu.Codec.DecodeBatch(encoded), decoded);
        Assert.Equal(b.Keys, decoded[1].Keys);
        Assert.Equal(b.Values, decoded[1].Values);
    }

    [Fact]
    public void Extreme_grid_values_decode_like_the_host()
    {
        // One huge outlier in a flat plane (the largest residuals: two raw chunks, high classes right after it) and a
        // plane of constants (zero residuals, the lowest class).
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        int tokens = 256, channels = 64, plane = tokens * channels;
        var keys = new ushort[plane];
        var values = new ushort[plane];
        for (int i = 0; i < plane; i++)
        {
            keys[i] = BitConverter.HalfToUInt16Bits((Half)(0.001f * (i % 5)));
            values[i] = BitConverter.HalfToUInt16Bits((Half)(i % channels == 3 ? 1f : 0f));
        }

        keys[(100 * channels) + 17] = BitConverter.HalfToUInt16Bits((Half)60000f);
        var kv = new KvTensors(1, tokens, channels, keys, values);
        foreach (var preset in Quantized)
        {
            var encoded = cpu.Codec.EncodeBatch([kv], preset);
            // Steps scale with the plane's spread, so only the finest preset's grid reaches that far.
            Assert.True(preset != KvCodecPreset.High || LargestGridValue(encoded[0]) > 256, "the outlier's residual needs two raw chunks");
            AssertSameDecode(cpu.Codec.DecodeBatch(encoded), device.DecodeBatch(encoded));
        }
    }

    [Fact]
    public void Resealed_damage_is_rejected_with_the_host_decoders_error()
    {
        // Checksum recomputed after the flips, so only the section parser and the lane decoder can catch them; the device
        // must agree with the host on every stream: the same error kind (for one flip), or the same decoded bits.
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        var random = new Random(64);
        var sources = new[]
        {
            cpu.Codec.Encode(SyntheticKv.Create(2, 32, 48, 65), KvCodecPreset.Balanced),
            cpu.Codec.Encode(SyntheticKv.Spiky(SyntheticKv.Create(1, 40, 19, 66), 67), KvCodecPreset.High),
            cpu.Codec.Encode(SyntheticKv.Create(1, 128, 48, 68), KvCodecPreset.Compact),
        };
        var kinds = new Dictionary<KvCodecError, int>();
        for (int round = 0; round < 400; round++)
        {
            var data = sources[round % sources.Length].ToArray();
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
            {
                data[KvBitstreamHeader.FixedBytes + random.Next(data.Length - KvBitstreamHeader.FixedBytes - KvBitstreamHeader.ChecksumBytes)] ^= (byte)(1 << random.Next(8));
            }

            Reseal(data);
            var host = Outcome(() => cpu.Codec.Decode(data));
            var onDevice = Outcome(() => device.Decode(data));
            if (flips == 1)
            {
                Assert.Equal(host.Error, onDevice.Error);
            }
            else
            {
                // Damage in several sections: the host decodes sections in parallel and reports whichever fails first.
                Assert.Equal(host.Error is null, onDevice.Error is null);
            }

            if (host.Error is null)
            {
                AssertSameDecode([host.Decoded!], [onDevice.Decoded!]);
            }
            else
            {
                kinds[host.Error.Value] = kinds.GetValueOrDefault(host.Error.Value) + 1;
            }
        }

        Assert.True(kinds.GetValueOrDefault(KvCodecError.Malformed) > 100, string.Join(", ", kinds));
        Assert.True(kinds.GetValueOrDefault(KvCodecError.Truncated) > 10, string.Join(", ", kinds));
    }

    [Fact]
    public void A_corrupt_block_fails_the_whole_batch()
    {
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        var encoded = device.EncodeBatch([SyntheticKv.Create(1, 64, 32, 69), SyntheticKv.Create(1, 64, 32, 70)], KvCodecPreset.Balanced);
        var random = new Random(71);
        int rejected = 0;
        for (int round = 0; round < 60; round++)
        {
            var damaged = encoded[1].ToArray();
            // Past the section front, inside lane bytes: only the lane decoder can see it.
            int at = damaged.Length - KvBitstreamHeader.ChecksumBytes - 1 - random.Next(200);
            damaged[at] ^= (byte)(1 << random.Next(8));
            Reseal(damaged);
            try
            {
                device.DecodeBatch([encoded[0], damaged]);
            }
            catch (KvCodecException e)
            {
                Assert.Contains("block 1", e.Message, StringComparison.Ordinal);
                rejected++;
            }
        }

        Assert.True(rejected > 50, $"{rejected} of 60 damaged lanes rejected");
    }

    [Fact]
    public void The_kernel_reports_each_kind_of_bad_lane()
    {
        // One lane of a real section, then the same lane one byte short, one byte long, without a state, with no lanes.
        var kv = SyntheticKv.Create(1, 64, 8, 72);
        var stream = cpu.Codec.Encode(kv, KvCodecPreset.Balanced);
        var (sectionStart, sectionLength) = FirstSection(stream);
        var section = stream.AsSpan(sectionStart, sectionLength);
        var layout = QuantizedPlaneCoder.Parse(section, kv.Channels);
        Assert.Equal(1, layout.Lanes);
        var expected = new short[kv.Tokens * kv.Channels];
        QuantizedPlaneCoder.Decode(section, kv.Tokens, kv.Channels, expected);

        var good = new RansLane(sectionStart + layout.LaneStarts[0], layout.LaneLengths[0], sectionStart + layout.Predictors, 0, kv.Tokens, kv.Channels, 0, 1, layout.FirstEstimate, layout.Estimate);
        RansLane[] lanes =
        [
            good,
            good with { Length = good.Length - 1 },
            good with { Length = good.Length + 1 },
            good with { Length = 3 },
            good with { Lanes = 0 },
            good with { Lane = 1 },
        ];
        var accelerator = cpu.Accelerator;
        var kernels = new KvCodecKernels(accelerator);
        using var data = accelerator.Allocate1D(stream);
        using var laneBuffer = accelerator.Allocate1D(lanes);
        using var frequencies = accelerator.Allocate1D(ResidualModels.Frequencies);
        using var starts = accelerator.Allocate1D(ResidualModels.Starts);
        using var slots = accelerator.Allocate1D(ResidualModels.SlotTokens);
        using var classes = accelerator.Allocate1D(ResidualModels.ClassTable);
        using var status = accelerator.Allocate1D<int>(lanes.Length);
        using var q = accelerator.Allocate1D<short>(expected.Length);
        kernels.DecodeLanes(data.View, laneBuffer.View.SubView(0, 1), frequencies.View, starts.View, slots.View, classes.View, q.View, status.View);
        kernels.Synchronize();
        Assert.Equal(expected, q.GetAsArray1D());
        kernels.DecodeLanes(data.View, laneBuffer.View, frequencies.View, starts.View, slots.View, classes.View, q.View, status.View);
        kernels.Synchronize();
        Assert.Equal(
            [RansLaneStatus.Ok, RansLaneStatus.Truncated, RansLaneStatus.BadEnd, RansLaneStatus.Truncated, RansLaneStatus.BadLane, RansLaneStatus.BadLane],
            status.GetAsArray1D().Select(s => (RansLaneStatus)s));
    }

    [Fact]
    public void Shared_format_constants_match_the_host_coder()
    {
        Assert.Equal(Rans.ScaleBits, RansLaneDecodeKernel.ScaleBits);
        Assert.Equal(Rans.LowerBound, RansLaneDecodeKernel.LowerBound);
        Assert.Equal(ResidualModels.Tokens, RansLaneDecodeKernel.Tokens);
        Assert.Equal(ResidualModels.Classes * ResidualModels.Tokens, ResidualModels.Frequencies.Length);
        Assert.Equal(ResidualModels.Classes << RansLaneDecodeKernel.ScaleBits, ResidualModels.SlotTokens.Length);
        Assert.Equal(1 << 16, ResidualModels.ClassTable.Length);
        Assert.All(ResidualModels.ClassTable, c => Assert.InRange(c, 0, ResidualModels.Classes - 1));
    }

    /// <summary>Largest |q| in any section of a quantised stream (host decoder).</summary>
    private static int LargestGridValue(byte[] stream)
    {
        var (header, sections) = CodecStreams.Sections(stream);
        var q = new short[header.Tokens * header.Channels];
        int largest = 0;
        foreach (var section in sections)
        {
            QuantizedPlaneCoder.Decode(section, header.Tokens, header.Channels, q);
            largest = Math.Max(largest, q.Max(v => Math.Abs((int)v)));
        }

        return largest;
    }

    private static void AssertSameDecode(KvTensors[] host, KvTensors[] device)
    {
        Assert.Equal(host.Length, device.Length);
        for (int i = 0; i < host.Length; i++)
        {
            Assert.Equal((host[i].Layers, host[i].Tokens, host[i].Channels), (device[i].Layers, device[i].Tokens, device[i].Channels));
            Assert.True(host[i].Keys.AsSpan().SequenceEqual(device[i].Keys), $"block {i}: keys differ");
            Assert.True(host[i].Values.AsSpan().SequenceEqual(device[i].Values), $"block {i}: values differ");
        }
    }

    private static (KvCodecError? Error, KvTensors? Decoded) Outcome(Func<KvTensors> decode)
    {
        try
        {
            return (null, decode());
        }
        catch (KvCodecException e)
        {
            return (e.Error, null);
        }
    }

    private static void Reseal(byte[] data) =>
        BitConverter.TryWriteBytes(data.AsSpan(data.Length - KvBitstreamHeader.ChecksumBytes), System.IO.Hashing.XxHash3.HashToUInt64(data.AsSpan(0, data.Length - KvBitstreamHeader.ChecksumBytes)));

    private static (int Start, int Length) FirstSection(byte[] stream)
    {
        var reader = new BitstreamReader(stream);
        reader.Take(KvBitstreamHeader.FixedBytes, "header");
        int length = reader.VarLength("section length", reader.Remaining);
        return (reader.Position, length);
    }
}
