using System.Buffers;
using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// Encodes and decodes KV blocks. One independent section per (block, layer, keys|values). Quantised presets: one
/// uniform grid per section (<see cref="PlaneQuantizer.Step"/>), coded by <see cref="QuantizedPlaneCoder"/>'s format. On a
/// GPU accelerator a batch of equal-shape blocks is quantised, predicted and rANS-encoded there without its grid values
/// coming back (<see cref="DeviceLaneEncoder"/>: every lane of every section in one <see cref="RansLaneEncodeKernel"/>
/// launch), and decoded there (<see cref="DeviceLaneDecoder"/>: one <see cref="RansLaneDecodeKernel"/> launch); when the
/// accelerator is ILGPU's CPU accelerator the host twins code sections in parallel on the CPU. Both paths write the same
/// bytes for the same grid values. Lossless: <see cref="LosslessPlaneCoder"/>, on the CPU. Thread-safe: device work is
/// serialised, CPU coding runs in parallel.
/// </summary>
public sealed class KvBlockCodec : IDisposable
{
    private readonly KvCodecKernels? _kernels;
    private readonly DeviceLaneDecoder? _laneDecoder;
    private readonly DeviceLaneEncoder? _laneEncoder;
    private readonly Lock _device = new();

    /// <summary>A codec on <paramref name="accelerator"/>; on a CPU accelerator quantisation runs on the host.</summary>
    public KvBlockCodec(Accelerator accelerator)
        : this(accelerator, accelerator is not null && accelerator.AcceleratorType != AcceleratorType.CPU)
    {
    }

    /// <summary>A codec whose quantisation runs in ILGPU kernels on <paramref name="accelerator"/> when <paramref name="quantizeOnAccelerator"/>, else on the host.</summary>
    public KvBlockCodec(Accelerator accelerator, bool quantizeOnAccelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        _kernels = quantizeOnAccelerator ? new KvCodecKernels(accelerator) : null;
        _laneDecoder = _kernels is null ? null : new DeviceLaneDecoder(_kernels);
        _laneEncoder = _kernels is null ? null : new DeviceLaneEncoder(_kernels);
    }

    public Accelerator Accelerator { get; }

    /// <summary>Whether quantisation, prediction and the quantised sections' entropy coding (both ways) run in kernels on <see cref="Accelerator"/> (otherwise on the host).</summary>
    public bool QuantizesOnAccelerator => _kernels is not null;

    /// <summary>Quantised sections the device encoder handed back to the host encoder (a lane outgrew its bounded output), since construction.</summary>
    public long HostEncodedSections
    {
        get
        {
            lock (_device)
            {
                return _laneEncoder?.HostFallbacks ?? 0;
            }
        }
    }

    /// <summary>Frees the device encoder's and decoder's staging (page-locked host memory and device buffers); the accelerator stays the caller's.</summary>
    public void Dispose()
    {
        lock (_device)
        {
            // Page locks are released in the CUDA context current on this thread, which may not be the accelerator's: one
            // left registered while the GC reuses its pinned array's addresses breaks the next registration there.
            if (_kernels is not null)
            {
                Accelerator.Bind();
            }

            _laneDecoder?.Dispose();
            _laneEncoder?.Dispose();
        }
    }

    public byte[] Encode(KvTensors kv, KvCodecPreset preset) => EncodeBatch([kv], preset)[0];

    public KvTensors Decode(ReadOnlySpan<byte> data) => DecodeBatch([data.ToArray()])[0];

    /// <summary>Decodes every bitstream; a corrupt one throws <see cref="KvCodecException"/> (nothing is returned for the batch).</summary>
    public KvTensors[] DecodeBatch(IReadOnlyList<byte[]> items, KvDecodeProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        return DecodeBatch(items.Select(item => new ArraySegment<byte>(item)).ToArray(), profile);
    }

    /// <summary>Encodes every item at <paramref name="preset"/>; on an accelerator, items of equal shape share kernel launches.</summary>
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

        var jobs = new List<(int Item, int Layer, bool Keys)>();
        for (int i = 0; i < items.Count; i++)
        {
            for (int l = 0; l < items[i].Layers; l++)
            {
                jobs.Add((i, l, true));
                jobs.Add((i, l, false));
            }
        }

        var sections = new byte[jobs.Count][];
        if (preset.IsLossless)
        {
            ParallelCoding.For(jobs.Count, j =>
            {
                var (i, l, keys) = jobs[j];
                sections[j] = LosslessPlaneCoder.Encode(Plane(items[i], l, keys), items[i].Tokens, items[i].Channels);
            });
        }
        else if (_kernels is null)
        {
            ParallelCoding.For(jobs.Count, j =>
            {
                var (i, l, keys) = jobs[j];
                sections[j] = EncodeOnHost(items[i], l, keys, preset);
            });
        }
        else
        {
            EncodeOnDevice(items, jobs, sections, preset);
        }

        // Items in parallel: at device speed one thread copying every block's sections would be the slowest stage.
        var firstSection = new int[items.Count + 1];
        for (int i = 0; i < items.Count; i++)
        {
            firstSection[i + 1] = firstSection[i] + (items[i].Layers * 2);
        }

        var results = new byte[items.Count][];
        ParallelCoding.For(items.Count, i =>
        {
            var header = new KvBitstreamHeader(!preset.IsLossless, items[i].Layers, items[i].Tokens, items[i].Channels);
            results[i] = Assemble(header, sections.AsSpan(firstSection[i], items[i].Layers * 2));
        });

        return results;
    }

    /// <summary>
    /// Decodes every bitstream, each a slice of a larger array (a stored block's envelope, read without copying its
    /// bitstream out); a corrupt one throws <see cref="KvCodecException"/> (nothing is returned for the batch).
    /// </summary>
    public KvTensors[] DecodeBatch(IReadOnlyList<ArraySegment<byte>> items, KvDecodeProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        long started = Stopwatch.GetTimestamp();
        var headers = new KvBitstreamHeader[items.Count];
        var results = new KvTensors[items.Count];
        var itemSections = new (int Start, int Length)[items.Count][];
        // Headers (each a checksum over its whole stream) and section tables, item by item in parallel.
        ParallelCoding.For(items.Count, i =>
        {
            headers[i] = KvBitstreamHeader.Read(items[i], out int bodyStart);
            itemSections[i] = ReadSections(items[i], headers[i], bodyStart);

            // Every section overwrites its whole plane (and a failed batch returns nothing), so the arrays need no zeroing:
            // for a 16K-token prefix of the 0.5B model that is ~190 MB not written twice.
            int elements = checked((int)((long)headers[i].Layers * headers[i].Tokens * headers[i].Channels));
            results[i] = new KvTensors(headers[i].Layers, headers[i].Tokens, headers[i].Channels, GC.AllocateUninitializedArray<ushort>(elements), GC.AllocateUninitializedArray<ushort>(elements));
        });
        profile?.Lap(KvDecodePhase.Headers, started);
        var jobs = new List<(int Item, int Layer, bool Keys, int Start, int Length)>();
        for (int i = 0; i < items.Count; i++)
        {
            var sections = itemSections[i];
            for (int s = 0; s < sections.Length; s++)
            {
                jobs.Add((i, s / 2, s % 2 == 0, sections[s].Start, sections[s].Length));
            }
        }

        long sectionsStarted = Stopwatch.GetTimestamp();
        if (_kernels is null || headers.All(h => !h.Quantized))
        {
            ParallelCoding.For(jobs.Count, j =>
            {
                var (i, l, keys, start, length) = jobs[j];
                var header = headers[i];
                var section = items[i].AsSpan(start, length);
                var target = Plane(results[i], l, keys);
                if (!header.Quantized)
                {
                    LosslessPlaneCoder.Decode(section, header.Tokens, header.Channels, target);
                    return;
                }

                var q = ArrayPool<short>.Shared.Rent(target.Length);
                try
                {
                    float step = QuantizedPlaneCoder.Decode(section, header.Tokens, header.Channels, q.AsSpan(0, target.Length));
                    PlaneQuantizer.Dequantize(q.AsSpan(0, target.Length), step, target);
                }
                finally
                {
                    ArrayPool<short>.Shared.Return(q);
                }
            });
            profile?.Lap(KvDecodePhase.HostSections, sectionsStarted);
        }
        else
        {
            DecodeOnDevice(items, headers, jobs, itemSections, results, profile);
        }

        return results;
    }

    private static Span<ushort> Plane(KvTensors kv, int layer, bool keys) => PlaneMemory(kv, layer, keys).Span;

    private static Memory<ushort> PlaneMemory(KvTensors kv, int layer, bool keys)
    {
        int plane = kv.Tokens * kv.Channels;
        return (keys ? kv.Keys : kv.Values).AsMemory(layer * plane, plane);
    }

    private static double RelativeStep(KvCodecPreset preset, int layer, int layers, bool keys) =>
        keys ? preset.KeyStep(layer, layers) : preset.ValueStep(layer, layers);

    private static byte[] EncodeOnHost(KvTensors kv, int layer, bool keys, KvCodecPreset preset)
    {
        var plane = Plane(kv, layer, keys);
        var stats = new float[kv.Channels * KvQuantizeKernel.StatsPerChannel];
        PlaneQuantizer.ChannelStats(plane, kv.Tokens, kv.Channels, stats);
        float step = PlaneQuantizer.Step(stats, kv.Tokens, kv.Channels, RelativeStep(preset, layer, kv.Layers, keys));
        var q = ArrayPool<short>.Shared.Rent(plane.Length);
        try
        {
            PlaneQuantizer.Quantize(plane, step, q.AsSpan(0, plane.Length));
            return QuantizedPlaneCoder.Encode(q.AsSpan(0, plane.Length), kv.Tokens, kv.Channels, PlaneQuantizer.StepBits(step));
        }
        finally
        {
            ArrayPool<short>.Shared.Return(q);
        }
    }

    /// <summary>Every quantised section on the device, one <see cref="DeviceLaneEncoder"/> call per group of equal shape.</summary>
    private void EncodeOnDevice(IReadOnlyList<KvTensors> items, List<(int Item, int Layer, bool Keys)> jobs, byte[][] sections, KvCodecPreset preset)
    {
        foreach (var shape in Enumerable.Range(0, jobs.Count).GroupBy(j => (items[jobs[j].Item].Tokens, items[jobs[j].Item].Channels)))
        {
            var members = shape.ToArray();
            var planes = new ReadOnlyMemory<ushort>[members.Length];
            var relativeSteps = new double[members.Length];
            for (int s = 0; s < members.Length; s++)
            {
                var (i, l, keys) = jobs[members[s]];
                planes[s] = PlaneMemory(items[i], l, keys);
                relativeSteps[s] = RelativeStep(preset, l, items[i].Layers, keys);
            }

            byte[][] encoded;
            lock (_device)
            {
                // Callers arrive on any thread, and a CUDA context is current per thread (the decoder's may be current here).
                Accelerator.Bind();
                encoded = _laneEncoder!.Encode(planes, relativeSteps, shape.Key.Tokens, shape.Key.Channels);
            }

            for (int s = 0; s < members.Length; s++)
            {
                sections[members[s]] = encoded[s];
            }
        }
    }

    /// <summary>Lossless sections on the host in parallel; every quantised section's lanes in one device launch.</summary>
    private void DecodeOnDevice(IReadOnlyList<ArraySegment<byte>> items, KvBitstreamHeader[] headers, List<(int Item, int Layer, bool Keys, int Start, int Length)> jobs, (int Start, int Length)[][] itemSections, KvTensors[] results, KvDecodeProfile? profile)
    {
        long started = Stopwatch.GetTimestamp();
        var lossless = Enumerable.Range(0, jobs.Count).Where(j => !headers[jobs[j].Item].Quantized).ToArray();
        ParallelCoding.For(lossless.Length, n =>
        {
            var (i, l, keys, start, length) = jobs[lossless[n]];
            LosslessPlaneCoder.Decode(items[i].AsSpan(start, length), headers[i].Tokens, headers[i].Channels, Plane(results[i], l, keys));
        });
        profile?.Lap(KvDecodePhase.HostSections, started);

        var quantized = Enumerable.Range(0, items.Count).Where(i => headers[i].Quantized).ToArray();
        lock (_device)
        {
            Accelerator.Bind();
            _laneDecoder!.Decode(items, headers, quantized, itemSections, results, profile);
        }
    }

    private static byte[] Assemble(KvBitstreamHeader header, ReadOnlySpan<byte[]> sections)
    {
        int size = KvBitstreamHeader.FixedBytes + KvBitstreamHeader.ChecksumBytes;
        foreach (var section in sections)
        {
            size += section.Length + 5;
        }

        var writer = new BitstreamWriter(size);
        header.Write(writer);
        foreach (var section in sections)
        {
            writer.VarUInt((uint)section.Length);
            writer.Bytes(section);
        }

        KvBitstreamHeader.AppendChecksum(writer);
        return writer.ToArray();
    }

    private static (int Start, int Length)[] ReadSections(ReadOnlySpan<byte> data, KvBitstreamHeader header, int bodyStart)
    {
        var body = data[..^KvBitstreamHeader.ChecksumBytes];
        var reader = new BitstreamReader(body);
        reader.Take(bodyStart, "header");
        var sections = new (int, int)[header.Layers * 2];
        for (int s = 0; s < sections.Length; s++)
        {
            int length = reader.VarLength("section length", reader.Remaining);
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
