using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using DeviceHalf = ILGPU.Half;
using Half = System.Half;
using Memory.Kernels;

namespace Memory.Inference.Decoding;

/// <summary>
/// Page-locked host memory and a device buffer of the same size through which whole KV blocks enter and leave the
/// paged cache: a chunk of blocks is one DMA copy plus one <see cref="KvBlockCopyKernel"/> launch. Importing a 16K
/// prefix block by block and layer by layer was 2 · layers · 64 pageable copies of 64 KB, each synchronous.
/// Staged block layout: its keys of every layer, then its values (that of <see cref="KvBlockData"/>).
/// </summary>
internal sealed class KvBlockStaging : IDisposable
{
    /// <summary>Bytes of one chunk (host and device each): large enough that a copy runs at DMA speed.</summary>
    public const long DefaultChunkBytes = 64L << 20;

    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long> _scatter;
    private readonly Action<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long> _gather;
    private readonly DeviceStaging<ushort> _staging;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _blocks;
    private ImportLane? _second;
    private readonly int _layers;
    private readonly int _layerValues;
    private readonly long _layerStride;

    public KvBlockStaging(Accelerator accelerator, int layers, int layerValues, long layerStride, int totalBlocks, long chunkBytes)
    {
        _accelerator = accelerator;
        _layers = layers;
        _layerValues = layerValues;
        _layerStride = layerStride;
        BlockValues = 2 * layers * layerValues;
        Capacity = (int)Math.Clamp(chunkBytes / (BlockValues * 2L), 1, Math.Max(1, totalBlocks));
        _scatter = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long>(KvBlockCopyKernel.Scatter);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long>(KvBlockCopyKernel.Gather);
        _staging = new DeviceStaging<ushort>(accelerator);
        _blocks = accelerator.Allocate1D<int>(Capacity);
    }

    /// <summary>Blocks per chunk.</summary>
    public int Capacity { get; }

    /// <summary>fp16 values of one block: keys and values of every layer.</summary>
    public int BlockValues { get; }

    /// <summary>
    /// Overwrites cache blocks <paramref name="targets"/>[i] with <paramref name="data"/>[i] (every layer). Chunks
    /// alternate between two staging lanes, each with its own stream, so one chunk's host copy runs while the previous
    /// chunk's DMA and scatter do (one lane at a time was ~17 GB/s for a 16K prefix on an H200: copy, then wait).
    /// </summary>
    public void Import(ArrayView<DeviceHalf> keys, ArrayView<DeviceHalf> values, IReadOnlyList<int> targets, IReadOnlyList<KvBlockData> data)
    {
        // Blocks just handed to this sequence may have been read by a forward pass still queued on the default stream.
        _accelerator.DefaultStream.Synchronize();
        ImportLane[] lanes = targets.Count > Capacity
            ? [new ImportLane(_staging, _blocks, null), _second ??= ImportLane.Create(_accelerator, Capacity)]
            : [new ImportLane(_staging, _blocks, null)];
        try
        {
            for (int start = 0, chunk = 0; start < targets.Count; start += Capacity, chunk++)
            {
                var lane = lanes[chunk % lanes.Length];
                var stream = lane.Stream ?? _accelerator.DefaultStream;
                // This lane's pinned buffer is refilled only after its previous chunk has left it.
                stream.Synchronize();
                int count = Math.Min(Capacity, targets.Count - start);
                var host = lane.Staging.Host((long)Capacity * BlockValues);
                // Host → pinned is a plain memory copy; spread over cores it keeps up with the DMA engine.
                Parallel.For(0, count, i =>
                {
                    var block = data[start + i];
                    var target = host.AsSpan(i * BlockValues, BlockValues);
                    MemoryMarshal.Cast<Half, ushort>(block.Keys.Span).CopyTo(target);
                    MemoryMarshal.Cast<Half, ushort>(block.Values.Span).CopyTo(target[(BlockValues / 2)..]);
                });
                int staged = count * BlockValues;
                var device = lane.Staging.Upload(staged, stream);
                UploadTargets(lane.Blocks, stream, targets, start, count);
                _scatter(stream, staged / 2, device.Cast<uint>(), keys.Cast<uint>(), values.Cast<uint>(), lane.Blocks.View, _layers, _layerValues / 2, _layerStride / 2);
            }
        }
        finally
        {
            // The forward pass that reads these blocks runs on the default stream: every chunk has landed before it.
            foreach (var lane in lanes)
            {
                (lane.Stream ?? _accelerator.DefaultStream).Synchronize();
            }
        }
    }

    /// <summary>Copies cache blocks <paramref name="sources"/>[i] (every layer) into new host arrays, in order.</summary>
    public (Half[] Keys, Half[] Values)[] Export(ArrayView<DeviceHalf> keys, ArrayView<DeviceHalf> values, IReadOnlyList<int> sources)
    {
        var result = new (Half[] Keys, Half[] Values)[sources.Count];
        for (int start = 0; start < sources.Count; start += Capacity)
        {
            int count = Math.Min(Capacity, sources.Count - start);
            int staged = count * BlockValues;
            UploadTargets(_blocks, _accelerator.DefaultStream, sources, start, count);
            var device = _staging.Device(staged);
            _gather(staged / 2, device.Cast<uint>(), keys.Cast<uint>(), values.Cast<uint>(), _blocks.View, _layers, _layerValues / 2, _layerStride / 2);
            var host = _staging.Download(device);
            int half = BlockValues / 2;
            Parallel.For(0, count, i =>
            {
                var source = host.AsSpan(i * BlockValues, BlockValues);
                var k = GC.AllocateUninitializedArray<Half>(half);
                var v = GC.AllocateUninitializedArray<Half>(half);
                MemoryMarshal.Cast<ushort, Half>(source[..half]).CopyTo(k);
                MemoryMarshal.Cast<ushort, Half>(source[half..]).CopyTo(v);
                result[start + i] = (k, v);
            });
        }

        return result;
    }

    public void Dispose()
    {
        _second?.Dispose();
        _blocks.Dispose();
        _staging.Dispose();
    }

    private static void UploadTargets(MemoryBuffer1D<int, Stride1D.Dense> target, AcceleratorStream stream, IReadOnlyList<int> blocks, int start, int count)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = blocks[start + i];
        }

        // A pageable source: the copy has left it when the call returns.
        target.View.SubView(0, count).CopyFromCPU(stream, ids);
    }

    /// <summary>One staging buffer, its target block ids and the stream its chunks are queued on (null: the default stream).</summary>
    private sealed record ImportLane(DeviceStaging<ushort> Staging, MemoryBuffer1D<int, Stride1D.Dense> Blocks, AcceleratorStream? Stream) : IDisposable
    {
        public static ImportLane Create(Accelerator accelerator, int capacity) =>
            new(new DeviceStaging<ushort>(accelerator), accelerator.Allocate1D<int>(capacity), accelerator.CreateStream());

        public void Dispose()
        {
            Stream?.Dispose();
            Blocks.Dispose();
            Staging.Dispose();
        }
    }
}
