using Half = System.Half;
using ILGPU.Runtime;
using Memory.KvCache.Codec;
using Memory.Kernels;

namespace Memory.KvCache.Tests;

/// <summary>
/// The device encoding path of quantised sections (<see cref="KvResidualKernel"/> and <see cref="RansLaneEncodeKernel"/>
/// through <see cref="DeviceLaneEncoder"/>). Bit-exactness is checked against the host encoder given the same grid values
/// and step (never against an independently quantised host block: on CUDA the quantiser's statistics may differ from
/// the host twin's in the last bit), so these tests hold on the CPU accelerator and on CUDA alike.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeviceLaneEncoderTests(CpuAccelerator cpu)
{
    /// <summary>Room for any lane (a residual codes to at most 12 + 16 bits): the device codes every section itself.</summary>
    private const int AmpleCapacityBits = 64;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(2, 3)]
    [InlineData(5, 16)]
    [InlineData(64, 17)]
    [InlineData(37, 445)]
    [InlineData(255, 1)]
    [InlineData(256, 64)]
    [InlineData(256, 129)]
    public void Sections_equal_the_host_encoders_for_the_same_grid_values(int tokens, int channels)
    {
        var grids = new List<short[]>
        {
            Realistic(tokens, channels, 0.35, tokens + channels),
            Realistic(tokens, channels, 1.2, (3 * tokens) + channels),
            Realistic(tokens, channels, 3, (5 * tokens) + channels),
            Constant(tokens, channels, 0),
            Constant(tokens, channels, -7),
            Constant(tokens, channels, KvQuantizeKernel.MaxMagnitude),
            Uniform(tokens, channels, KvQuantizeKernel.MaxMagnitude, channels),
            Uniform(tokens, channels, 3, channels + 1),
            Alternating(tokens, channels),
            Flips(tokens, channels, 3 * channels),
            Spikes(tokens, channels, 7 * channels),
        };
        var stepBits = grids.Select((_, i) => PlaneQuantizer.StepBits(KvQuantizeKernel.StoredStep(0.01f * (i + 1)))).ToArray();
        using var encoder = new DeviceLaneEncoder(new KvCodecKernels(cpu.Accelerator), AmpleCapacityBits);
        var sections = Encode(encoder, grids, stepBits, tokens, channels);
        Assert.Equal(0, encoder.HostFallbacks);
        for (int i = 0; i < grids.Count; i++)
        {
            Assert.Equal(QuantizedPlaneCoder.Encode(grids[i], tokens, channels, stepBits[i]), sections[i]);
        }
    }

    [Fact]
    public void Every_lane_count_from_1_to_16_encodes_like_the_host()
    {
        // 256 tokens × (16k + 1) channels code in k lanes; the odd channel leaves the last lane one channel short.
        using var encoder = new DeviceLaneEncoder(new KvCodecKernels(cpu.Accelerator), AmpleCapacityBits);
        for (int k = 1; k <= 16; k++)
        {
            int channels = (16 * k) + 1;
            Assert.Equal(k, QuantizedPlaneCoder.LaneCount(256, channels));
            short[][] grids = [Realistic(256, channels, 0.35, k), Spikes(256, channels, 100 + k)];
            ushort[] stepBits = [PlaneQuantizer.StepBits(0.5f), PlaneQuantizer.StepBits(2f)];
            var sections = Encode(encoder, grids, stepBits, 256, channels);
            Assert.Equal(QuantizedPlaneCoder.Encode(grids[0], 256, channels, stepBits[0]), sections[0]);
            Assert.Equal(QuantizedPlaneCoder.Encode(grids[1], 256, channels, stepBits[1]), sections[1]);
        }

        Assert.Equal(0, encoder.HostFallbacks);
    }

    [Fact]
    public void Device_encoded_blocks_decode_on_both_decoders_and_re_encode_to_the_same_bytes()
    {
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        var items = new[] { SyntheticKv.Create(2, 256, 96, 81), SyntheticKv.Create(3, 37, 19, 82), SyntheticKv.Create(1, 1, 20, 83), SyntheticKv.Create(2, 256, 96, 84) };
        foreach (var preset in KvCodecPreset.All.Where(p => !p.IsLossless))
        {
            var streams = device.EncodeBatch(items, preset);
            var onDevice = device.DecodeBatch(streams);
            for (int i = 0; i < items.Length; i++)
            {
                var (header, sections) = CodecStreams.Sections(streams[i]);
                int plane = header.Tokens * header.Channels;
                for (int s = 0; s < sections.Length; s++)
                {
                    // The host decoder's grid values and step, coded again by the host encoder: the device's bytes.
                    var q = new short[plane];
                    float step = QuantizedPlaneCoder.Decode(sections[s], header.Tokens, header.Channels, q);
                    Assert.Equal(QuantizedPlaneCoder.Encode(q, header.Tokens, header.Channels, PlaneQuantizer.StepBits(step)), sections[s]);

                    var original = (s % 2 == 0 ? items[i].Keys : items[i].Values).AsSpan(s / 2 * plane, plane);
                    var decoded = (s % 2 == 0 ? onDevice[i].Keys : onDevice[i].Values).AsSpan(s / 2 * plane, plane);
                    var expected = new ushort[plane];
                    PlaneQuantizer.Dequantize(q, step, expected);
                    Assert.True(expected.AsSpan().SequenceEqual(decoded), $"block {i}, section {s}: the device decoder disagrees with the host decoder");
                    for (int e = 0; e < plane; e++)
                    {
                        float x = SyntheticKv.Value(original[e]);
                        Assert.True(Math.Abs(x - SyntheticKv.Value(decoded[e])) <= (0.5f * step) + (Math.Abs(x) / 1024f), $"block {i}, section {s}, element {e}: off by more than half a step");
                    }
                }
            }
        }

        Assert.Equal(0, device.HostEncodedSections);
    }

    [Fact]
    public void A_lane_that_outgrows_its_region_falls_back_to_the_host_encoder()
    {
        // Full-range noise codes to about 18 bits a residual, past the default region of 16: only that section goes back.
        int tokens = 256, channels = 64;
        short[][] grids = [Realistic(tokens, channels, 1.2, 91), Uniform(tokens, channels, KvQuantizeKernel.MaxMagnitude, 92), Constant(tokens, channels, 3)];
        ushort[] stepBits = [PlaneQuantizer.StepBits(0.25f), PlaneQuantizer.StepBits(1f), PlaneQuantizer.StepBits(4f)];
        var host = grids.Select((g, i) => QuantizedPlaneCoder.Encode(g, tokens, channels, stepBits[i])).ToArray();
        Assert.True(host[1].Length > tokens * channels * 2, "the noise section is larger than fp16");
        Assert.True(host[0].Length < tokens * channels, "the realistic section is far smaller than fp16");

        using var encoder = new DeviceLaneEncoder(new KvCodecKernels(cpu.Accelerator));
        Assert.Equal(DeviceLaneEncoder.DefaultCapacityBits, encoder.CapacityBits);
        var sections = Encode(encoder, grids, stepBits, tokens, channels);
        Assert.Equal(1, encoder.HostFallbacks);
        Assert.Equal(host, sections);

        // One bit a residual: the realistic section overflows too, the constant one (zero residuals) still fits, and
        // every section comes out right.
        using var tight = new DeviceLaneEncoder(new KvCodecKernels(cpu.Accelerator), capacityBits: 1);
        Assert.Equal(host, Encode(tight, grids, stepBits, tokens, channels));
        Assert.Equal(2, tight.HostFallbacks);
    }

    [Fact]
    public void The_codec_falls_back_per_section_when_a_preset_asks_for_more_than_fp16()
    {
        // Steps this fine floor at max |x| / 16383: uniform fp16 noise fills the whole grid, the smooth block does not.
        var finest = new KvCodecPreset { Name = "finest", KeyStepFirst = 1e-6, KeyStepLast = 1e-6, ValueStepFirst = 0.3, ValueStepLast = 0.3 };
        var random = new Random(93);
        var noise = new KvTensors(2, 64, 64, new ushort[2 * 64 * 64], new ushort[2 * 64 * 64]);
        for (int e = 0; e < noise.Keys.Length; e++)
        {
            noise.Keys[e] = BitConverter.HalfToUInt16Bits((Half)((random.NextSingle() * 2) - 1));
            noise.Values[e] = BitConverter.HalfToUInt16Bits((Half)((random.NextSingle() * 2) - 1));
        }

        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        var streams = device.EncodeBatch([noise, SyntheticKv.Create(2, 64, 64, 94)], finest);
        int overflowing = 0;
        foreach (var stream in streams)
        {
            var (header, sections) = CodecStreams.Sections(stream);
            foreach (var section in sections)
            {
                var q = new short[header.Tokens * header.Channels];
                float step = QuantizedPlaneCoder.Decode(section, header.Tokens, header.Channels, q);
                Assert.Equal(QuantizedPlaneCoder.Encode(q, header.Tokens, header.Channels, PlaneQuantizer.StepBits(step)), section);

                // Which sections the device could not hold: a lane longer than its region of 16 bits a residual and the state.
                var layout = QuantizedPlaneCoder.Parse(section, header.Channels);
                bool overflows = false;
                for (int lane = 0; lane < layout.Lanes; lane++)
                {
                    long residuals = (long)(((header.Channels - lane - 1) / layout.Lanes) + 1) * header.Tokens;
                    overflows |= layout.LaneLengths[lane] > (((residuals * DeviceLaneEncoder.DefaultCapacityBits) + 7) / 8) + RansLaneEncodeKernel.StateBytes;
                }

                overflowing += overflows ? 1 : 0;
            }
        }

        Assert.True(overflowing >= 2, $"{overflowing} sections outgrow fp16");
        Assert.Equal(overflowing, device.HostEncodedSections);

        var decoded = device.DecodeBatch(streams);
        Assert.Equal(cpu.Codec.DecodeBatch(streams)[0].Keys, decoded[0].Keys);
    }

    [Fact]
    public void The_kernel_stays_inside_each_lanes_region_and_codes_empty_lanes_as_the_initial_state()
    {
        // Five copies of one single-lane slice (the kernel completes each slice's first-token records in place, so every
        // coded lane gets its own): capacity exactly the stream, one byte short, far too small, ample; then lanes with
        // nothing to code and inconsistent descriptors. Regions sit between guard bytes that must stay untouched.
        int tokens = 64, channels = 8, plane = tokens * channels, copies = 5;
        var q = Realistic(tokens, channels, 0.35, 95);
        var section = QuantizedPlaneCoder.Encode(q, tokens, channels, PlaneQuantizer.StepBits(1f));
        var layout = QuantizedPlaneCoder.Parse(section, channels);
        Assert.Equal(1, layout.Lanes);
        var expected = section.AsSpan(layout.LaneStarts[0], layout.LaneLengths[0]).ToArray();
        int length = expected.Length;

        const int Guard = 32;
        int[] capacities = [length, length - 1, 10, length + 100, 16, 16, 16, 16];
        var lanes = new RansEncodeLane[capacities.Length];
        long at = Guard;
        for (int l = 0; l < lanes.Length; l++)
        {
            lanes[l] = new RansEncodeLane((long)Math.Min(l, copies - 1) * plane, Math.Min(l, copies - 1), tokens, channels, 0, 1, at, capacities[l]);
            at += capacities[l] + Guard;
        }

        lanes[4] = lanes[4] with { Tokens = 0 };
        lanes[5] = lanes[5] with { Channels = 3, Lane = 3, Lanes = 4 };
        lanes[6] = lanes[6] with { Lanes = 0 };
        lanes[7] = lanes[7] with { Capacity = -1 };

        var accelerator = cpu.Accelerator;
        var kernels = new KvCodecKernels(accelerator);
        using var grid = accelerator.Allocate1D(Enumerable.Repeat(q, copies).SelectMany(g => g).ToArray());
        using var modes = accelerator.Allocate1D<byte>(copies * channels);
        using var sums = accelerator.Allocate1D<uint>(copies * channels);
        using var estimates = accelerator.Allocate1D<int>(2 * copies);
        using var records = accelerator.Allocate1D<int>(copies * plane);
        using var classes = accelerator.Allocate1D(ResidualModels.ClassTable);
        using var symbols = accelerator.Allocate1D(DeviceLaneEncoder.TokenSymbols());
        using var laneBuffer = accelerator.Allocate1D(lanes);
        var before = Enumerable.Range(0, (int)at).Select(i => (byte)(0xA5 ^ i)).ToArray();
        using var output = accelerator.Allocate1D(before);
        using var lengths = accelerator.Allocate1D<int>(lanes.Length);
        kernels.Residuals(grid.View, modes.View, sums.View, estimates.View, classes.View, records.View, copies, tokens, channels);
        kernels.EncodeLanes(laneBuffer.View, records.View, estimates.View, classes.View, symbols.View, output.View, lengths.View);
        kernels.Synchronize();

        var initialState = BitConverter.GetBytes(RansLaneDecodeKernel.LowerBound);
        Assert.Equal(
            new[] { length, RansLaneEncodeKernel.Overflow, RansLaneEncodeKernel.Overflow, length, initialState.Length, initialState.Length, RansLaneEncodeKernel.BadLane, RansLaneEncodeKernel.BadLane },
            lengths.GetAsArray1D());
        var after = output.GetAsArray1D();
        foreach (int l in new[] { 0, 3 })
        {
            long end = lanes[l].Output + lanes[l].Capacity;
            Assert.Equal(expected, after.AsSpan((int)(end - length), length).ToArray());
        }

        foreach (int l in new[] { 4, 5 })
        {
            long end = lanes[l].Output + lanes[l].Capacity;
            Assert.Equal(initialState, after.AsSpan((int)(end - initialState.Length), initialState.Length).ToArray());
        }

        for (int l = 0; l <= lanes.Length; l++)
        {
            long guardStart = l == 0 ? 0 : lanes[l - 1].Output + Math.Max(0, lanes[l - 1].Capacity);
            long guardEnd = l == lanes.Length ? at : lanes[l].Output;
            for (long i = guardStart; i < guardEnd; i++)
            {
                Assert.True(after[i] == before[i], $"byte {i}, in front of lane {l}'s region, was written");
            }
        }
    }

    /// <summary>Encodes grid values through the device encoder (the codec's device lock is not needed: nothing else uses this encoder).</summary>
    private static byte[][] Encode(DeviceLaneEncoder encoder, IReadOnlyList<short[]> grids, ushort[] stepBits, int tokens, int channels) =>
        encoder.Encode(grids.Select(g => (ReadOnlyMemory<short>)g).ToArray(), stepBits, tokens, channels);

    /// <summary>A synthetic KV plane on the host quantiser's grid at a relative step (what the codec's presets give).</summary>
    private static short[] Realistic(int tokens, int channels, double relative, int seed)
    {
        var plane = SyntheticKv.Plane(new Random(seed), 1, tokens, channels, 4f);
        var stats = new float[channels * KvQuantizeKernel.StatsPerChannel];
        PlaneQuantizer.ChannelStats(plane, tokens, channels, stats);
        var q = new short[plane.Length];
        PlaneQuantizer.Quantize(plane, PlaneQuantizer.Step(stats, tokens, channels, relative), q);
        return q;
    }

    private static short[] Constant(int tokens, int channels, int value) => Enumerable.Repeat((short)value, tokens * channels).ToArray();

    /// <summary>Independent uniform values in ±<paramref name="magnitude"/>: the most entropy a grid can have at that range.</summary>
    private static short[] Uniform(int tokens, int channels, int magnitude, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, tokens * channels).Select(_ => (short)random.Next(-magnitude, magnitude + 1)).ToArray();
    }

    /// <summary>±max flipping every token and channel: the largest residuals (16-bit zigzag values) for every predictor.</summary>
    private static short[] Alternating(int tokens, int channels) =>
        Enumerable.Range(0, tokens * channels).Select(i => (short)(((i / channels) + (i % channels)) % 2 == 0 ? KvQuantizeKernel.MaxMagnitude : -KvQuantizeKernel.MaxMagnitude)).ToArray();

    /// <summary>+max with a few tokens of −max in every channel: the previous-token predictor wins, and each flip is a residual of ±32766 (a 16-bit zigzag value, fifteen raw bits).</summary>
    private static short[] Flips(int tokens, int channels, int seed)
    {
        var random = new Random(seed);
        var q = Constant(tokens, channels, KvQuantizeKernel.MaxMagnitude);
        for (int n = 0; n < channels * Math.Max(1, tokens / 32); n++)
        {
            q[random.Next(q.Length)] = -KvQuantizeKernel.MaxMagnitude;
        }

        return q;
    }

    /// <summary>A flat plane with a few full-range spikes: high classes right after small ones.</summary>
    private static short[] Spikes(int tokens, int channels, int seed)
    {
        var random = new Random(seed);
        var q = new short[tokens * channels];
        for (int n = 0; n < 1 + (q.Length / 500); n++)
        {
            q[random.Next(q.Length)] = (short)(random.Next(2) == 0 ? KvQuantizeKernel.MaxMagnitude : -3000);
        }

        return q;
    }
}
