using ILGPU;
using ILGPU.Runtime;
using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// Encodes and decodes KV blocks (CacheGen-style): quantise / dequantise on an ILGPU accelerator
/// (<see cref="KvCodecKernels"/>), entropy coding with rANS on the CPU, one independent stream per (block, layer,
/// keys|values) coded in parallel. Batches of blocks with equal shape share one set of kernel launches.
/// Thread-safe: device work is serialised, CPU coding runs in parallel.
/// </summary>
public sealed class KvBlockCodec
{
    private readonly KvCodecKernels _kernels;
    private readonly Lock _device = new();

    public KvBlockCodec(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _kernels = new KvCodecKernels(accelerator);
    }

    public Accelerator Accelerator => _kernels.Accelerator;

    public byte[] Encode(KvTensors kv, KvCodecPreset preset) => EncodeBatch([kv], preset)[0];

    public KvTensors Decode(ReadOnlySpan<byte> data) => DecodeBatch([data.ToArray()])[0];

    /// <summary>Encodes every item at <paramref name="preset"/>; items of equal shape share kernel launches.</summary>
    public byte[][] EncodeBatch(IReadOnlyList<KvTensors> items, KvCodecPreset preset)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(preset);
        preset.Validate();
        foreach (var item in items)
        {
            item.Validate();
            if (item.Layers > ushort.MaxValue || item.Tokens > ushort.MaxValue || item.Channels > ushort.MaxValue || item.Elements > KvBitstreamHeader.MaxElements)
            {
                throw new ArgumentException($"a KV block of {item.Layers}×{item.Tokens}×{item.Channels} exceeds the bitstream's limits");
            }
        }

        var results = new byte[items.Count][];
        if (preset.IsLossless)
        {
            ParallelCoding.For(items.Count, i => results[i] = EncodeLossless(items[i]));
            return results;
        }

        foreach (var shape in Enumerable.Range(0, items.Count).GroupBy(i => (items[i].Tokens, items[i].Channels)))
        {
            var indices = shape.ToArray();
            var encoded = EncodeQuantized(indices.Select(i => items[i]).ToArray(), preset);
            for (int j = 0; j < indices.Length; j++)
            {
                results[indices[j]] = encoded[j];
            }
        }

        return results;
    }

    /// <summary>Decodes every bitstream; a corrupt one throws <see cref="KvCodecException"/> (nothing is returned for the batch).</summary>
    public KvTensors[] DecodeBatch(IReadOnlyList<byte[]> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var headers = new KvBitstreamHeader[items.Count];
        var bodyStarts = new int[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            headers[i] = KvBitstreamHeader.Read(items[i], out bodyStarts[i]);
        }

        var results = new KvTensors[items.Count];
        var lossless = Enumerable.Range(0, items.Count).Where(i => !headers[i].Quantized).ToArray();
        ParallelCoding.For(lossless.Length, j => results[lossless[j]] = DecodeLossless(items[lossless[j]], headers[lossless[j]], bodyStarts[lossless[j]]));
        foreach (var shape in Enumerable.Range(0, items.Count).Where(i => headers[i].Quantized).GroupBy(i => (headers[i].Tokens, headers[i].Channels, headers[i].GroupSize)))
        {
            var indices = shape.ToArray();
            var decoded = DecodeQuantized(indices.Select(i => (items[i], headers[i], bodyStarts[i])).ToArray());
            for (int j = 0; j < indices.Length; j++)
            {
                results[indices[j]] = decoded[j];
            }
        }

        return results;
    }

    private static byte[] EncodeLossless(KvTensors kv)
    {
        var header = new KvBitstreamHeader(false, kv.Layers, kv.Tokens, kv.Channels, 0, 0, []);
        int plane = kv.Tokens * kv.Channels;
        var sections = new byte[kv.Layers * 2][];
        ParallelCoding.For(sections.Length, s =>
        {
            var source = s % 2 == 0 ? kv.Keys : kv.Values;
            sections[s] = LosslessPlaneCoder.Encode(source.AsSpan((s / 2) * plane, plane), kv.Tokens, kv.Channels);
        });
        return Assemble(header, sections);
    }

    private static KvTensors DecodeLossless(byte[] data, KvBitstreamHeader header, int bodyStart)
    {
        var sections = ReadSections(data, header, bodyStart);
        int plane = header.Tokens * header.Channels;
        var keys = new ushort[header.Layers * plane];
        var values = new ushort[header.Layers * plane];
        ParallelCoding.For(sections.Length, s =>
        {
            var target = s % 2 == 0 ? keys : values;
            LosslessPlaneCoder.Decode(data.AsSpan(sections[s].Start, sections[s].Length), header.Tokens, header.Channels, target.AsSpan((s / 2) * plane, plane));
        });
        return new KvTensors(header.Layers, header.Tokens, header.Channels, keys, values);
    }

    private byte[][] EncodeQuantized(KvTensors[] items, KvCodecPreset preset)
    {
        int tokens = items[0].Tokens;
        int channels = items[0].Channels;
        int group = Math.Min(preset.GroupSize, tokens);
        int slices = items.Sum(i => i.Layers);
        var levels = new int[slices];
        var headers = new KvBitstreamHeader[items.Length];
        int slice = 0;
        for (int b = 0; b < items.Length; b++)
        {
            var blockLevels = new byte[items[b].Layers];
            for (int l = 0; l < items[b].Layers; l++)
            {
                blockLevels[l] = (byte)preset.LevelsFor(l, items[b].Layers);
                levels[slice++] = blockLevels[l];
            }

            headers[b] = new KvBitstreamHeader(true, items[b].Layers, tokens, channels, group, preset.AnchorLevels, blockLevels);
        }

        var keys = QuantizeOnDevice(items, k => k.Keys, levels, slices, tokens, channels, group, perChannel: true, preset.AnchorLevels);
        var values = QuantizeOnDevice(items, k => k.Values, levels, slices, tokens, channels, group, perChannel: false, preset.AnchorLevels);

        var sections = new byte[slices * 2][];
        ParallelCoding.For(sections.Length, s =>
        {
            var q = s % 2 == 0 ? keys : values;
            sections[s] = q.EncodeSlice(s / 2, levels[s / 2], preset.AnchorLevels);
        });

        var results = new byte[items.Length][];
        int first = 0;
        for (int b = 0; b < items.Length; b++)
        {
            results[b] = Assemble(headers[b], sections.AsSpan(first * 2, items[b].Layers * 2).ToArray());
            first += items[b].Layers;
        }

        return results;
    }

    private KvTensors[] DecodeQuantized((byte[] Data, KvBitstreamHeader Header, int BodyStart)[] items)
    {
        var h0 = items[0].Header;
        int tokens = h0.Tokens;
        int channels = h0.Channels;
        int group = h0.GroupSize;
        int slices = items.Sum(i => i.Header.Layers);
        var keys = new QuantizedPlanes(slices, tokens, channels, group, perChannel: true);
        var values = new QuantizedPlanes(slices, tokens, channels, group, perChannel: false);
        var jobs = new List<(byte[] Data, (int Start, int Length) Section, int Slice, bool IsKeys, int Levels, int AnchorLevels)>();
        int slice = 0;
        foreach (var (data, header, bodyStart) in items)
        {
            var sections = ReadSections(data, header, bodyStart);
            for (int l = 0; l < header.Layers; l++, slice++)
            {
                jobs.Add((data, sections[2 * l], slice, true, header.Levels[l], header.AnchorLevels));
                jobs.Add((data, sections[(2 * l) + 1], slice, false, header.Levels[l], header.AnchorLevels));
            }
        }

        ParallelCoding.For(jobs.Count, j =>
        {
            var job = jobs[j];
            (job.IsKeys ? keys : values).DecodeSlice(job.Data.AsSpan(job.Section.Start, job.Section.Length), job.Slice, job.Levels, job.AnchorLevels);
        });

        var keyBits = DequantizeOnDevice(keys, slices, tokens, channels, group);
        var valueBits = DequantizeOnDevice(values, slices, tokens, channels, group);
        var results = new KvTensors[items.Length];
        long offset = 0;
        for (int b = 0; b < items.Length; b++)
        {
            int layers = items[b].Header.Layers;
            long count = (long)layers * tokens * channels;
            results[b] = new KvTensors(layers, tokens, channels, keyBits.AsSpan((int)offset, (int)count).ToArray(), valueBits.AsSpan((int)offset, (int)count).ToArray());
            offset += count;
        }

        return results;
    }

    private QuantizedPlanes QuantizeOnDevice(KvTensors[] items, Func<KvTensors, ushort[]> select, int[] levels, int slices, int tokens, int channels, int group, bool perChannel, int anchorLevels)
    {
        var planes = new QuantizedPlanes(slices, tokens, channels, group, perChannel);
        long elements = (long)slices * tokens * channels;
        var accelerator = _kernels.Accelerator;
        lock (_device)
        {
            // Callers arrive on any thread, and a CUDA context is current per thread (the decoder's may be current here).
            accelerator.Bind();
            using var x = accelerator.Allocate1D<ushort>(elements);
            long offset = 0;
            foreach (var item in items)
            {
                var source = select(item);
                x.View.SubView(offset, source.LongLength).CopyFromCPU(source);
                offset += source.LongLength;
            }

            using var levelBuffer = accelerator.Allocate1D(levels);
            using var anchorScales = accelerator.Allocate1D<float>(planes.AnchorScales.Length);
            using var anchorSymbols = accelerator.Allocate1D<short>(planes.AnchorSymbols.Length);
            using var anchors = accelerator.Allocate1D<float>(planes.AnchorSymbols.Length);
            using var deltaScales = accelerator.Allocate1D<float>(planes.DeltaScales.Length);
            using var deltaSymbols = accelerator.Allocate1D<short>(planes.DeltaSymbols.Length);
            _kernels.Quantize(x.View, levelBuffer.View, anchorScales.View, anchorSymbols.View, anchors.View, deltaScales.View, deltaSymbols.View, slices, tokens, channels, group, perChannel, anchorLevels);
            _kernels.Synchronize();
            anchorScales.CopyToCPU(planes.AnchorScales);
            anchorSymbols.CopyToCPU(planes.AnchorSymbols);
            deltaScales.CopyToCPU(planes.DeltaScales);
            deltaSymbols.CopyToCPU(planes.DeltaSymbols);
        }

        return planes;
    }

    private ushort[] DequantizeOnDevice(QuantizedPlanes planes, int slices, int tokens, int channels, int group)
    {
        var result = new ushort[(long)slices * tokens * channels];
        var accelerator = _kernels.Accelerator;
        lock (_device)
        {
            accelerator.Bind();
            using var anchorScales = accelerator.Allocate1D(planes.AnchorScales);
            using var anchorSymbols = accelerator.Allocate1D(planes.AnchorSymbols);
            using var deltaScales = accelerator.Allocate1D(planes.DeltaScales);
            using var deltaSymbols = accelerator.Allocate1D(planes.DeltaSymbols);
            using var x = accelerator.Allocate1D<ushort>(result.LongLength);
            _kernels.Dequantize(anchorSymbols.View, anchorScales.View, deltaSymbols.View, deltaScales.View, x.View, slices, tokens, channels, group, planes.PerChannel);
            _kernels.Synchronize();
            x.CopyToCPU(result);
        }

        return result;
    }

    private static byte[] Assemble(KvBitstreamHeader header, byte[][] sections)
    {
        var writer = new BitstreamWriter(sections.Sum(s => s.Length + 4) + header.Levels.Length + 32);
        header.Write(writer);
        foreach (var section in sections)
        {
            writer.U32((uint)section.Length);
            writer.Bytes(section);
        }

        KvBitstreamHeader.AppendChecksum(writer);
        return writer.ToArray();
    }

    private static (int Start, int Length)[] ReadSections(byte[] data, KvBitstreamHeader header, int bodyStart)
    {
        var body = data.AsSpan(0, data.Length - KvBitstreamHeader.ChecksumBytes);
        var reader = new BitstreamReader(body);
        reader.Take(bodyStart, "header");
        var sections = new (int, int)[header.Layers * 2];
        for (int s = 0; s < sections.Length; s++)
        {
            int length = reader.Length("section length", reader.Remaining);
            sections[s] = (reader.Position, length);
            reader.Take(length, "section");
        }

        if (reader.Remaining != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{reader.Remaining} bytes after the last section");
        }

        return sections;
    }
}
