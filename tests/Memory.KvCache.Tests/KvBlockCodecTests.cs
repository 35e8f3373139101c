using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class KvBlockCodecTests(CpuAccelerator cpu)
{
    [Fact]
    public void Lossless_round_trip_is_bit_exact_for_any_fp16_bits()
    {
        var random = new Random(21);
        var kv = SyntheticKv.Create(3, 128, 32, 21);
        // Special values and random bit patterns (NaN payloads, infinities, subnormals) must survive too.
        for (int i = 0; i < 200; i++)
        {
            kv.Keys[random.Next(kv.Keys.Length)] = (ushort)random.Next(65536);
            kv.Values[random.Next(kv.Values.Length)] = (ushort)random.Next(65536);
        }

        kv.Keys[0] = 0x7C00;
        kv.Keys[1] = 0xFE01;
        kv.Values[2] = 0x0001;
        var encoded = cpu.Codec.Encode(kv, KvCodecPreset.Lossless);
        var decoded = cpu.Codec.Decode(encoded);
        Assert.Equal((kv.Layers, kv.Tokens, kv.Channels), (decoded.Layers, decoded.Tokens, decoded.Channels));
        Assert.Equal(kv.Keys, decoded.Keys);
        Assert.Equal(kv.Values, decoded.Values);
        Assert.True(encoded.Length < kv.Elements * 4, "lossless coding should not expand smooth data");
    }

    [Fact]
    public void Lossless_stores_incompressible_planes_raw_and_never_exceeds_fp16()
    {
        var random = new Random(23);
        var kv = new KvTensors(3, 64, 32, new ushort[3 * 64 * 32], new ushort[3 * 64 * 32]);
        for (int i = 0; i < kv.Keys.Length; i++)
        {
            kv.Keys[i] = (ushort)random.Next(65536);
            kv.Values[i] = (ushort)random.Next(65536);
        }

        var encoded = cpu.Codec.Encode(kv, KvCodecPreset.Lossless);
        var decoded = cpu.Codec.Decode(encoded);
        Assert.Equal(kv.Keys, decoded.Keys);
        Assert.Equal(kv.Values, decoded.Values);
        // Every section raw: header, per section a length and a kind byte, then the fp16 bits; nothing more.
        long raw = kv.Elements * 2 * 2;
        Assert.True(encoded.Length <= raw + 14 + 8 + (kv.Layers * 2 * 4), $"{encoded.Length} bytes for {raw} raw");

        // A smooth block codes well below fp16 even with only 8 tokens a block (the byte table must stay small).
        var smooth = SyntheticKv.Create(7, 8, 128, 24);
        var small = cpu.Codec.Encode(smooth, KvCodecPreset.Lossless);
        Assert.True(small.Length * 8.0 / (smooth.Elements * 2) < 15.5, $"{small.Length * 8.0 / (smooth.Elements * 2):F2} bits/element");
        Assert.Equal(smooth.Keys, cpu.Codec.Decode(small).Keys);
    }

    [Theory]
    [InlineData("high", 2.5)]
    [InlineData("balanced", 4)]
    [InlineData("compact", 5.5)]
    public void Lossy_presets_stay_within_half_a_step_and_shrink_the_block(string presetName, double minRatio)
    {
        var preset = KvCodecPreset.Parse(presetName);
        var kv = SyntheticKv.Create(6, 256, 32, 22);
        var encoded = cpu.Codec.Encode(kv, preset);
        var decoded = cpu.Codec.Decode(encoded);
        double rawBits = kv.Elements * 2 * 16.0;
        double ratio = rawBits / (encoded.Length * 8);
        Assert.True(ratio >= minRatio, $"{presetName}: {encoded.Length * 8 / (double)(kv.Elements * 2):F2} bits/element");

        foreach (var (original, restored, keys) in new[] { (kv.Keys, decoded.Keys, true), (kv.Values, decoded.Values, false) })
        {
            // Uniform rounding errs by at most step²/12 in the mean; the presets are relative steps, so this bound follows them.
            double errorSquares = 0, roundingSquares = 0;
            for (int l = 0; l < kv.Layers; l++)
            {
                // The step the preset asks for, from the plane's spread computed independently in double precision.
                double relative = keys ? preset.KeyStep(l, kv.Layers) : preset.ValueStep(l, kv.Layers);
                double step = Math.Max(relative * Spread(original, kv, l), MaxAbs(original, kv, l) / 16383) * (1 + (1 / 128.0));
                for (int i = l * kv.Tokens * kv.Channels; i < (l + 1) * kv.Tokens * kv.Channels; i++)
                {
                    float x = SyntheticKv.Value(original[i]);
                    float y = SyntheticKv.Value(restored[i]);
                    Assert.True(Math.Abs(x - y) <= (0.5 * step) + (Math.Abs(y) / 2048) + 1e-7, $"{presetName} layer {l} element {i}: {x} → {y} (step {step})");
                    errorSquares += (x - y) * (double)(x - y);
                    roundingSquares += step * step / 12;
                }
            }

            Assert.True(errorSquares <= roundingSquares * 1.1, $"{presetName}: RMS error {Math.Sqrt(errorSquares / roundingSquares):F3} × that of uniform rounding");
        }
    }

    [Fact]
    public void Finer_presets_are_larger_and_more_accurate()
    {
        var kv = SyntheticKv.Create(4, 128, 64, 25);
        var sizes = new[] { KvCodecPreset.High, KvCodecPreset.Balanced, KvCodecPreset.Compact }.Select(p => cpu.Codec.Encode(kv, p).Length).ToArray();
        Assert.True(sizes[0] > sizes[1] && sizes[1] > sizes[2], string.Join(", ", sizes));
        Assert.True(cpu.Codec.Encode(kv, KvCodecPreset.Lossless).Length > sizes[0]);
    }

    [Fact]
    public void Kernel_and_host_quantisation_write_the_same_bitstream()
    {
        using var device = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        Assert.True(device.QuantizesOnAccelerator);
        Assert.False(cpu.Codec.QuantizesOnAccelerator);
        var items = new[] { SyntheticKv.Create(3, 64, 32, 26), SyntheticKv.Create(3, 64, 32, 27), SyntheticKv.Create(2, 5, 32, 28) };
        foreach (var preset in KvCodecPreset.All)
        {
            var host = cpu.Codec.EncodeBatch(items, preset);
            var kernel = device.EncodeBatch(items, preset);
            for (int i = 0; i < items.Length; i++)
            {
                Assert.Equal(host[i], kernel[i]);
            }

            var a = cpu.Codec.DecodeBatch(host);
            var b = device.DecodeBatch(kernel);
            for (int i = 0; i < items.Length; i++)
            {
                Assert.Equal(a[i].Keys, b[i].Keys);
                Assert.Equal(a[i].Values, b[i].Values);
            }
        }
    }

    [Fact]
    public void Degenerate_planes_round_trip()
    {
        // Zeros, a constant, one token, huge magnitudes, infinities and NaN: steps stay positive and nothing clips badly.
        var kv = new KvTensors(4, 1, 16, new ushort[64], new ushort[64]);
        Array.Fill(kv.Values, BitConverter.HalfToUInt16Bits((Half)3.5f));
        kv.Keys[16] = BitConverter.HalfToUInt16Bits((Half)65504f);
        kv.Keys[17] = BitConverter.HalfToUInt16Bits((Half)(-0.001f));
        kv.Keys[32] = 0x7C00;
        kv.Keys[33] = 0x7E00;
        foreach (var preset in KvCodecPreset.All)
        {
            var decoded = cpu.Codec.Decode(cpu.Codec.Encode(kv, preset));
            // One token: the step falls back to the plain RMS (3.5 for the constant values).
            float tolerance = preset.IsLossless ? 0f : (float)(0.5 * 3.5 * preset.ValueStepLast * 1.01);
            Assert.All(decoded.Values, v => Assert.Equal(3.5f, SyntheticKv.Value(v), tolerance));
            Assert.Equal(65504f, SyntheticKv.Value(decoded.Keys[16]), preset.IsLossless ? 0f : 65504f * 0.5f * (float)preset.KeyStepLast);
            Assert.Equal(0f, SyntheticKv.Value(decoded.Keys[0]));
        }
    }

    [Fact]
    public void Batches_of_blocks_decode_like_single_blocks()
    {
        var items = Enumerable.Range(0, 4).Select(i => SyntheticKv.Create(2, 32, 8, 30 + i)).Append(SyntheticKv.Create(3, 16, 8, 40)).ToArray();
        var batch = cpu.Codec.EncodeBatch(items, KvCodecPreset.Balanced);
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(cpu.Codec.Encode(items[i], KvCodecPreset.Balanced), batch[i]);
        }

        var decoded = cpu.Codec.DecodeBatch(batch);
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(cpu.Codec.Decode(batch[i]).Keys, decoded[i].Keys);
            Assert.Equal(items[i].Layers, decoded[i].Layers);
        }
    }

    [Fact]
    public void Early_layers_get_finer_steps_than_late_ones()
    {
        foreach (var preset in KvCodecPreset.All.Where(p => !p.IsLossless))
        {
            Assert.True(preset.KeyStep(0, 12) < preset.KeyStep(11, 12));
            Assert.True(preset.ValueStep(0, 12) < preset.ValueStep(11, 12));
            Assert.True(preset.KeyStep(0, 12) <= preset.KeyStep(5, 12));
            Assert.Equal(preset.KeyStepFirst, preset.KeyStep(0, 1));
        }

        Assert.Throws<ArgumentException>(() => (KvCodecPreset.Balanced with { KeyStepLast = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (KvCodecPreset.Balanced with { ValueStepFirst = double.NaN }).Validate());
    }

    [Fact]
    public void Corruption_is_reported_as_a_typed_error()
    {
        var kv = SyntheticKv.Create(2, 32, 8, 50);
        var encoded = cpu.Codec.Encode(kv, KvCodecPreset.Balanced);

        var flipped = encoded.ToArray();
        flipped[encoded.Length / 2] ^= 0x10;
        Assert.Equal(KvCodecError.ChecksumMismatch, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(flipped)).Error);
        Assert.Equal(KvCodecError.ChecksumMismatch, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(encoded.AsSpan(0, encoded.Length - 9))).Error);
        Assert.Equal(KvCodecError.Truncated, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(encoded.AsSpan(0, 10))).Error);
        Assert.Equal(KvCodecError.BadMagic, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode("nope, not a block at all"u8)).Error);
        var newer = encoded.ToArray();
        newer[4] = 9;
        Assert.Equal(KvCodecError.UnsupportedVersion, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(newer)).Error);
    }

    [Fact]
    public void Version_1_streams_are_rejected_not_misread()
    {
        // A version-1 stream (anchor + delta quantisation) as the previous build wrote it, checksum valid.
        var v1 = Convert.FromHexString("4D4B5643010101000400080010187F000F0F0F0F");
        var stream = v1.Concat(new byte[40]).ToArray();
        stream = stream.Concat(BitConverter.GetBytes(System.IO.Hashing.XxHash3.HashToUInt64(stream))).ToArray();
        var error = Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(stream));
        Assert.Equal(KvCodecError.UnsupportedVersion, error.Error);
        Assert.Contains("version 1", error.Message, StringComparison.Ordinal);

        // And a current stream relabelled as version 1.
        var relabelled = cpu.Codec.Encode(SyntheticKv.Create(2, 16, 8, 55), KvCodecPreset.Balanced);
        relabelled[4] = 1;
        Assert.Equal(KvCodecError.UnsupportedVersion, Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(relabelled)).Error);
    }

    [Fact]
    public void Fuzzed_bitstreams_never_crash_the_decoder()
    {
        var random = new Random(51);
        var sources = new[]
        {
            cpu.Codec.Encode(SyntheticKv.Create(2, 20, 8, 52), KvCodecPreset.Lossless),
            cpu.Codec.Encode(SyntheticKv.Create(2, 20, 8, 53), KvCodecPreset.Balanced),
            cpu.Codec.Encode(SyntheticKv.Create(3, 9, 4, 54), KvCodecPreset.Compact),
            cpu.Codec.Encode(SyntheticKv.Create(1, 96, 96, 56), KvCodecPreset.High),
        };
        int typed = 0, decoded = 0;
        for (int round = 0; round < 1500; round++)
        {
            var source = sources[round % sources.Length];
            var data = Mutate(random, source);
            // Half the rounds re-seal the checksum so the parser itself is exercised, not just the hash.
            if (round % 2 == 1 && data.Length >= 24)
            {
                BitConverter.TryWriteBytes(data.AsSpan(data.Length - 8), System.IO.Hashing.XxHash3.HashToUInt64(data.AsSpan(0, data.Length - 8)));
            }

            try
            {
                var kv = cpu.Codec.Decode(data);
                Assert.Equal(kv.Elements, kv.Keys.LongLength);
                decoded++;
            }
            catch (KvCodecException)
            {
                typed++;
            }
        }

        Assert.True(typed > 1000, $"{typed} typed errors, {decoded} decodes");
    }

    [Fact]
    public void Resealed_damage_inside_coded_sections_is_caught_by_the_decoder()
    {
        // With the checksum recomputed, only the section parser and the rANS end-state checks stand between a flipped
        // bit and the decoder: each flip inside a quantised section must raise a typed error or decode to the right shape.
        var random = new Random(57);
        var source = cpu.Codec.Encode(SyntheticKv.Create(2, 64, 64, 58), KvCodecPreset.Balanced);
        int typed = 0;
        for (int round = 0; round < 300; round++)
        {
            var data = source.ToArray();
            data[14 + random.Next(data.Length - 22)] ^= (byte)(1 << random.Next(8));
            BitConverter.TryWriteBytes(data.AsSpan(data.Length - 8), System.IO.Hashing.XxHash3.HashToUInt64(data.AsSpan(0, data.Length - 8)));
            try
            {
                var kv = cpu.Codec.Decode(data);
                Assert.Equal((2, 64, 64), (kv.Layers, kv.Tokens, kv.Channels));
            }
            catch (KvCodecException)
            {
                typed++;
            }
        }

        Assert.True(typed > 200, $"{typed} of 300 resealed flips raised a typed error");

        var raw = new KvTensors(1, 4, 4, Enumerable.Range(0, 16).Select(i => (ushort)(i * 4099)).ToArray(), Enumerable.Range(0, 16).Select(i => (ushort)(i * 7919)).ToArray());
        var rawStream = cpu.Codec.Encode(raw, KvCodecPreset.Lossless);
        for (int cut = 0; cut < rawStream.Length; cut++)
        {
            Assert.Throws<KvCodecException>(() => cpu.Codec.Decode(rawStream.AsSpan(0, cut)));
        }
    }

    private static byte[] Mutate(Random random, byte[] source)
    {
        var data = source.ToArray();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                }

                return data;
            case 1:
                return data.AsSpan(0, random.Next(data.Length)).ToArray();
            case 2:
                data[random.Next(data.Length)] = (byte)random.Next(256);
                return data.Concat(new byte[random.Next(1, 16)]).ToArray();
            default:
                var noise = new byte[random.Next(1, 200)];
                random.NextBytes(noise);
                return random.Next(2) == 0 ? noise : [.. "MKVC"u8.ToArray(), 1, .. noise];
        }
    }

    private static double Spread(ushort[] data, KvTensors kv, int layer)
    {
        double squares = 0;
        for (int c = 0; c < kv.Channels; c++)
        {
            double mean = 0;
            for (int t = 0; t < kv.Tokens; t++)
            {
                mean += SyntheticKv.Value(data[(((layer * kv.Tokens) + t) * kv.Channels) + c]);
            }

            mean /= kv.Tokens;
            for (int t = 0; t < kv.Tokens; t++)
            {
                double d = SyntheticKv.Value(data[(((layer * kv.Tokens) + t) * kv.Channels) + c]) - mean;
                squares += d * d;
            }
        }

        return Math.Sqrt(squares / (kv.Tokens * kv.Channels));
    }

    private static double MaxAbs(ushort[] data, KvTensors kv, int layer)
    {
        double max = 0;
        for (int i = layer * kv.Tokens * kv.Channels; i < (layer + 1) * kv.Tokens * kv.Channels; i++)
        {
            max = Math.Max(max, Math.Abs(SyntheticKv.Value(data[i])));
        }

        return max;
    }
}
