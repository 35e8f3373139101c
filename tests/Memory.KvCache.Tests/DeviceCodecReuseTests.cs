using System.Runtime.CompilerServices;
using Half = System.Half;
using ILGPU.Runtime;
using Memory.Inference.Decoding;
using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>
/// A long-lived device codec (the way the server and the shared test fixture hold one) across batches of changing
/// shapes, lane counts and presets, with encode and decode calls interleaved on one codec and across two codecs on one
/// accelerator: whatever its staging and device buffers kept from an earlier, larger or differently shaped batch, every
/// batch must code to the bytes a fresh codec writes, and decode on every decoder to what the host decoder gives. On the
/// CPU accelerator the device encoder must also equal the host encoder byte for byte; on CUDA (whose channel statistics
/// may differ from the host's in the last bit) each section must equal the host encoder's coding of the same grid values.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeviceCodecReuseTests(CpuAccelerator cpu)
{
    [Fact]
    public void One_codec_codes_a_run_of_differently_shaped_batches_like_a_fresh_one()
    {
        using var reused = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        using var host = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: false);
        // Large first (the staging grows to it), then the failing CUDA test's batch of every lane count, then tiny blocks
        // (most of every buffer is left over from before), the lane counts again in another order and preset, and a
        // large shape seen before with fewer slices.
        var batches = new (string Name, KvTensors[] Items, KvCodecPreset Preset)[]
        {
            ("large", [SyntheticKv.Spiky(SyntheticKv.Create(2, 256, 129, 1), 2), SyntheticKv.Spiky(SyntheticKv.Create(2, 256, 129, 3), 4), SyntheticKv.Spiky(SyntheticKv.Create(2, 256, 96, 5), 6)], KvCodecPreset.Balanced),
            ("lanes 1-16", EveryLaneCount(Enumerable.Range(1, 16), 100), KvCodecPreset.High),
            ("tiny", [SyntheticKv.Create(1, 1, 20, 7), SyntheticKv.Spiky(SyntheticKv.Create(2, 9, 37, 8), 9), SyntheticKv.Create(1, 2, 3, 10)], KvCodecPreset.Compact),
            ("lanes reversed", EveryLaneCount([16, 13, 10, 7, 4, 1], 300), KvCodecPreset.Compact),
            ("large again", [SyntheticKv.Spiky(SyntheticKv.Create(1, 256, 129, 11), 12)], KvCodecPreset.High),
        };

        foreach (var (name, items, preset) in batches)
        {
            var streams = reused.EncodeBatch(items, preset);
            using var fresh = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
            AssertSameStreams(fresh.EncodeBatch(items, preset), streams, $"{name}: a fresh codec");
            if (cpu.Accelerator.AcceleratorType == AcceleratorType.CPU)
            {
                AssertSameStreams(host.EncodeBatch(items, preset), streams, $"{name}: the host encoder");
            }

            AssertHostCodesTheSameGridValues(streams, name);
            var expected = host.DecodeBatch(streams);
            AssertSameDecode(expected, reused.DecodeBatch(streams), $"{name}: the reused codec's decoder");
            AssertSameDecode(expected, fresh.DecodeBatch(streams), $"{name}: a fresh codec's decoder");
        }

        Assert.Equal(0, reused.HostEncodedSections);
    }

    [Fact]
    public void Encode_and_decode_interleave_on_one_codec_and_across_two()
    {
        using var a = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        using var b = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        using var host = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: false);
        KvTensors[] large = [SyntheticKv.Spiky(SyntheticKv.Create(2, 256, 129, 21), 22), SyntheticKv.Spiky(SyntheticKv.Create(1, 256, 64, 23), 24)];
        var lanes = EveryLaneCount([1, 2, 3, 5, 8, 16], 400);
        KvTensors[] small = [SyntheticKv.Create(1, 3, 17, 25), SyntheticKv.Spiky(SyntheticKv.Create(1, 40, 19, 26), 27)];

        var largeA = a.EncodeBatch(large, KvCodecPreset.Balanced);
        var largeDecodedByB = b.DecodeBatch(largeA);
        var lanesA = a.EncodeBatch(lanes, KvCodecPreset.High);
        var largeDecodedByA = a.DecodeBatch(largeA);
        var largeB = b.EncodeBatch(large, KvCodecPreset.Balanced);
        var smallB = b.EncodeBatch(small, KvCodecPreset.Compact);
        var lanesDecodedByB = b.DecodeBatch(lanesA);
        var smallA = a.EncodeBatch(small, KvCodecPreset.Compact);
        var lanesB = b.EncodeBatch(lanes, KvCodecPreset.High);
        var lanesDecodedByA = a.DecodeBatch(lanesA);

        AssertSameStreams(largeA, largeB, "the large batch from either codec");
        AssertSameStreams(lanesA, lanesB, "the lane batch from either codec");
        AssertSameStreams(smallA, smallB, "the small batch from either codec");
        var largeExpected = host.DecodeBatch(largeA);
        var lanesExpected = host.DecodeBatch(lanesA);
        AssertSameDecode(largeExpected, largeDecodedByA, "large, decoded by its encoder after another encode");
        AssertSameDecode(largeExpected, largeDecodedByB, "large, decoded by the other codec");
        AssertSameDecode(lanesExpected, lanesDecodedByA, "lanes, decoded by their encoder after three other calls");
        AssertSameDecode(lanesExpected, lanesDecodedByB, "lanes, decoded by the other codec");

        // One decode batch mixing every shape and preset seen (and a lossless block), smallest first.
        byte[][] mixed = [.. smallB, .. largeB, host.Encode(small[0], KvCodecPreset.Lossless), .. lanesB];
        AssertSameDecode(host.DecodeBatch(mixed), a.DecodeBatch(mixed), "a mixed batch on a");
        AssertSameDecode(host.DecodeBatch(mixed), b.DecodeBatch(mixed), "a mixed batch on b");
    }

    [Fact]
    public void Callers_on_many_threads_share_one_codec()
    {
        // The codec serialises its device work: concurrent encodes and decodes of different shapes must each get the
        // bytes and values they get alone.
        using var shared = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
        using var host = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: false);
        var work = new (KvTensors[] Items, KvCodecPreset Preset)[]
        {
            ([SyntheticKv.Spiky(SyntheticKv.Create(1, 256, 129, 31), 32)], KvCodecPreset.High),
            (EveryLaneCount([2, 7, 11], 500), KvCodecPreset.Balanced),
            ([SyntheticKv.Create(2, 9, 37, 33), SyntheticKv.Create(1, 1, 20, 34)], KvCodecPreset.Compact),
            ([SyntheticKv.Spiky(SyntheticKv.Create(1, 128, 48, 35), 36)], KvCodecPreset.Balanced),
        };
        var alone = work.Select(w =>
        {
            using var fresh = new KvBlockCodec(cpu.Accelerator, quantizeOnAccelerator: true);
            return fresh.EncodeBatch(w.Items, w.Preset);
        }).ToArray();

        var encoded = new byte[work.Length][][];
        var decoded = new KvTensors[work.Length][];
        Parallel.For(0, work.Length * 2, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            int w = n % work.Length;
            if (n < work.Length)
            {
                encoded[w] = shared.EncodeBatch(work[w].Items, work[w].Preset);
            }
            else
            {
                decoded[w] = shared.DecodeBatch(alone[w]);
            }
        });

        for (int w = 0; w < work.Length; w++)
        {
            AssertSameStreams(alone[w], encoded[w], $"work {w} encoded among others");
            AssertSameDecode(host.DecodeBatch(alone[w]), decoded[w], $"work {w} decoded among others");
        }
    }

    [Fact]
    public void A_staging_dropped_undisposed_never_hands_its_page_locked_array_back_to_the_gc()
    {
        // The driver may still hold a dropped staging's registration (only Dispose releases it in a bound context): its
        // array must outlive it, or the pinned heap gives those addresses to the next staging array. A disposed staging's
        // array is released as usual.
        var dropped = StagedArray(cpu.Accelerator, dispose: false);
        var disposed = StagedArray(cpu.Accelerator, dispose: true);
        for (int round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.True(dropped.IsAlive, "the undisposed staging's page-locked array went back to the GC");
        Assert.False(disposed.IsAlive, "the disposed staging's array was kept");
    }

    /// <summary>A staging whose host side has been page-locked, then dropped (disposed or not); a weak reference to that host array.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference StagedArray(Accelerator accelerator, bool dispose)
    {
        var staging = new DeviceStaging<int>(accelerator);
        const int length = 1 << 16;
        var host = staging.Host(length);
        host.AsSpan(0, length).Fill(7);
        staging.Upload(length);
        accelerator.Synchronize();
        if (dispose)
        {
            staging.Dispose();
        }

        // Tracking resurrection: the staging's finalizer is what keeps the array, after short weak references are cleared.
        return new WeakReference(host, trackResurrection: true);
    }

    /// <summary>One layer a block of 256 tokens × (16k + 1) channels: k lanes each (the odd channel leaves the last lane short).</summary>
    private static KvTensors[] EveryLaneCount(IEnumerable<int> laneCounts, int seed)
    {
        var items = laneCounts.Select(k => SyntheticKv.Spiky(SyntheticKv.Create(1, 256, (16 * k) + 1, seed + k), seed + 50 + k)).ToArray();
        Assert.Equal(laneCounts, items.Select(i => QuantizedPlaneCoder.LaneCount(i.Tokens, i.Channels)));
        return items;
    }

    /// <summary>Each section is what the host encoder writes for the grid values and step the host decoder reads from it.</summary>
    private static void AssertHostCodesTheSameGridValues(byte[][] streams, string what)
    {
        for (int i = 0; i < streams.Length; i++)
        {
            var (header, sections) = CodecStreams.Sections(streams[i]);
            var q = new short[header.Tokens * header.Channels];
            for (int s = 0; s < sections.Length; s++)
            {
                float step = QuantizedPlaneCoder.Decode(sections[s], header.Tokens, header.Channels, q);
                Assert.True(QuantizedPlaneCoder.Encode(q, header.Tokens, header.Channels, PlaneQuantizer.StepBits(step)).AsSpan().SequenceEqual(sections[s]), $"{what}: block {i}, section {s} differs from the host encoder's coding of its grid values");
            }
        }
    }

    private static void AssertSameStreams(byte[][] expected, byte[][] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{what}: block {i}'s stream differs ({expected[i].Length} and {actual[i].Length} bytes)");
        }
    }

    private static void AssertSameDecode(KvTensors[] expected, KvTensors[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal((expected[i].Layers, expected[i].Tokens, expected[i].Channels), (actual[i].Layers, actual[i].Tokens, actual[i].Channels));
            Assert.True(expected[i].Keys.AsSpan().SequenceEqual(actual[i].Keys), $"{what}: block {i}'s keys differ");
            Assert.True(expected[i].Values.AsSpan().SequenceEqual(actual[i].Values), $"{what}: block {i}'s values differ");
        }
    }
}
