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
    private readonly Action<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long> _scatter;
    private readonly Action<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long> _gather;
    private readonly DeviceStaging<ushort> _staging;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _blocks;
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
        _scatter = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long>(KvBlockCopyKernel.Scatter);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>, ArrayView<int>, int, int, long>(KvBlockCopyKernel.Gather);
        _staging = new DeviceStaging<ushort>(accelerator);
        _blocks = accelerator.Allocate1D<int>(Capacity);
    }

    /// <summary>Blocks per chunk.</summary>
    public int Capacity { get; }

    /// <summary>fp16 values of one block: keys and values of every layer.</summary>
    public int BlockValues { get; }

    /// <summary>Overwrites cache blocks <paramref name="targets"/>[i] with <paramref name="data"/>[i] (every layer).</summary>
    public void Import(ArrayView<DeviceHalf> keys, ArrayView<DeviceHalf> values, IReadOnlyList<int> targets, IReadOnlyList<KvBlockData> data)
    {
        var stream = _accelerator.DefaultStream;
        var host = _staging.Host((long)Capacity * BlockValues);
        for (int start = 0; start < targets.Count; start += Capacity)
        {
            int count = Math.Min(Capacity, targets.Count - start);
            // Host → pinned is a plain memory copy; spread over cores it keeps up with the DMA engine.
            Parallel.For(0, count, i =>
            {
                var block = data[start + i];
                var target = host.AsSpan(i * BlockValues, BlockValues);
                MemoryMarshal.Cast<Half, ushort>(block.Keys.Span).CopyTo(target);
                MemoryMarshal.Cast<Half, ushort>(block.Values.Span).CopyTo(target[(BlockValues / 2)..]);
            });
            int staged = count * BlockValues;
            var device = _staging.Upload(staged);
            UploadTargets(targets, start, count);
            _scatter(staged / 2, device.Cast<uint>(), keys.Cast<uint>(), values.Cast<uint>(), _blocks.View, _layers, _layerValues / 2, _layerStride / 2);
            // The pinned buffer is refilled by the next chunk only after this one has left it.
            stream.Synchronize();
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
            UploadTargets(sources, start, count);
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
        _blocks.Dispose();
        _staging.Dispose();
    }

    private void UploadTargets(IReadOnlyList<int> blocks, int start, int count)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = blocks[start + i];
        }

        _blocks.View.SubView(0, count).CopyFromCPU(ids);
    }
}
