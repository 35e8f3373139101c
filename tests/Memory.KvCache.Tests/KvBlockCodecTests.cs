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

    [Theory]
    [InlineData("high", 2.5, 0.03)]
    [InlineData("balanced", 4, 0.10)]
    [InlineData("compact", 5, 0.25)]
    public void Lossy_presets_stay_within_their_error_bound_and_shrink_the_block(string presetName, double minRatio, double maxRelativeRms)
    {
        var preset = KvCodecPreset.Parse(presetName);
        var kv = SyntheticKv.Create(6, 256, 32, 22);
        var encoded = cpu.Codec.Encode(kv, preset);
        var decoded = cpu.Codec.Decode(encoded);
        double rawBits = kv.Elements * 2 * 16.0;
        double ratio = rawBits / (encoded.Length * 8);
        Assert.True(ratio >= minRatio, $"{presetName}: {encoded.Length * 8 / (double)(kv.Elements * 2):F2} bits/element");

        foreach (var (original, restored, perChannel) in new[] { (kv.Keys, decoded.Keys, true), (kv.Values, decoded.Values, false) })
        {
            double errorSquares = 0, signalSquares = 0;
            for (int l = 0; l < kv.Layers; l++)
            {
                int levels = preset.LevelsFor(l, kv.Layers);
                for (int t = 0; t < kv.Tokens; t++)
                {
                    for (int c = 0; c < kv.Channels; c++)
                    {
                        int i = (((l * kv.Tokens) + t) * kv.Channels) + c;
                        float x = SyntheticKv.Value(original[i]);
                        float y = SyntheticKv.Value(restored[i]);
                        // Worst case: the range the scale covers is at most twice the line's largest magnitude plus the anchor's error.
                        float lineMax = LineMax(original, kv, l, t, c, perChannel, preset.GroupSize);
                        float anchorError = lineMax / preset.AnchorLevels;
                        float bound = t % preset.GroupSize == 0
                            ? anchorError
                            : ((2 * lineMax) + anchorError) / levels;
                        Assert.True(Math.Abs(x - y) <= (0.5f * bound * 1.01f) + (Math.Abs(y) / 1024f) + 1e-6f, $"{presetName} layer {l} token {t} channel {c}: {x} → {y}");
                        errorSquares += (x - y) * (double)(x - y);
                        signalSquares += x * (double)x;
                    }
                }
            }

            Assert.True(Math.Sqrt(errorSquares / signalSquares) <= maxRelativeRms, $"{presetName}: relative RMS error {Math.Sqrt(errorSquares / signalSquares):F4}");
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
    public void Early_layers_get_more_levels_than_late_ones()
    {
        foreach (var preset in KvCodecPreset.All.Where(p => !p.IsLossless))
        {
            Assert.True(preset.LevelsFor(0, 12) > preset.LevelsFor(11, 12));
            Assert.True(preset.LevelsFor(0, 12) >= preset.LevelsFor(5, 12));
        }
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
    public void Fuzzed_bitstreams_never_crash_the_decoder()
    {
        var random = new Random(51);
        var sources = new[]
        {
            cpu.Codec.Encode(SyntheticKv.Create(2, 20, 8, 52), KvCodecPreset.Lossless),
            cpu.Codec.Encode(SyntheticKv.Create(2, 20, 8, 53), KvCodecPreset.Balanced),
            cpu.Codec.Encode(SyntheticKv.Create(3, 9, 4, 54), KvCodecPreset.Compact),
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

    private static float LineMax(ushort[] data, KvTensors kv, int layer, int token, int channel, bool perChannel, int groupSize)
    {
        float max = 0;
        if (perChannel)
        {
            for (int t = 0; t < kv.Tokens; t++)
            {
                max = Math.Max(max, Math.Abs(SyntheticKv.Value(data[(((layer * kv.Tokens) + t) * kv.Channels) + channel])));
            }

            return max;
        }

        int[] rows = [token, token / groupSize * groupSize];
        foreach (int t in rows)
        {
            for (int c = 0; c < kv.Channels; c++)
            {
                max = Math.Max(max, Math.Abs(SyntheticKv.Value(data[(((layer * kv.Tokens) + t) * kv.Channels) + c])));
            }
        }

        return max;
    }
}
