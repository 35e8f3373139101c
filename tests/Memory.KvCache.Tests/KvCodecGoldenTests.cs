using System.IO.Hashing;
using System.Runtime.InteropServices;
using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>
/// Pins what the codec writes: the hash of every preset's bitstream for fixed synthetic blocks, recorded from the v2
/// coder before its speed work. Any change to these hashes changes the format (or what lossy presets reconstruct),
/// which must come with a version bump; a speed-up must leave them alone.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KvCodecGoldenTests(CpuAccelerator cpu)
{
    [Theory]
    [InlineData("lossless", 3672720354874001910UL, 2911388264640766975UL)]
    [InlineData("high", 5260765754883824564UL, 11608996916523143997UL)]
    [InlineData("balanced", 14498508623770531406UL, 13711378230330335107UL)]
    [InlineData("compact", 6554517371495543788UL, 17016337042332510437UL)]
    public void Bitstreams_and_decoded_values_match_the_recorded_ones(string presetName, ulong streamHash, ulong valueHash)
    {
        // Several lanes per plane (256 × 96 → 6 lanes, 16 channels each), one lane with uneven channels (37), one token.
        var items = new[] { SyntheticKv.Create(3, 256, 96, 41), SyntheticKv.Create(2, 9, 37, 42), SyntheticKv.Create(1, 1, 20, 43) };
        var preset = KvCodecPreset.Parse(presetName);
        var streams = cpu.Codec.EncodeBatch(items, preset);
        var decoded = cpu.Codec.DecodeBatch(streams);
        ulong streams64 = 0, values64 = 0;
        foreach (var stream in streams)
        {
            streams64 = (streams64 * 31) + XxHash3.HashToUInt64(stream);
        }

        foreach (var kv in decoded)
        {
            values64 = (values64 * 31) + XxHash3.HashToUInt64(MemoryMarshal.AsBytes(kv.Keys.AsSpan()));
            values64 = (values64 * 31) + XxHash3.HashToUInt64(MemoryMarshal.AsBytes(kv.Values.AsSpan()));
        }

        Assert.Equal((streamHash, valueHash), (streams64, values64));
    }
}
