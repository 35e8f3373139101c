using ILGPU;
using ILGPU.Runtime;
using DeviceHalf = ILGPU.Half;
using Half = System.Half;

namespace Memory.Inference.Decoding;

/// <summary>
/// The key/value cache of every layer as fixed-size blocks of tokens, handed to sequences from a free list.
/// Layout per layer: [block, slot, kv head, head dim] fp16: half the bytes attention reads per token, and the
/// element type KV blocks are exported and imported in, so an imported block is bit-identical to a computed one.
/// </summary>
public sealed class PagedKvCache : IDisposable
{
    private readonly MemoryBuffer1D<DeviceHalf, Stride1D.Dense> _keys;
    private readonly MemoryBuffer1D<DeviceHalf, Stride1D.Dense> _values;
    private readonly Stack<int> _free = new();
    private readonly long _layerStride;
    private readonly int _kvDim;
    private readonly int _layers;
    private readonly Accelerator _accelerator;
    private readonly long _stagingChunkBytes;
    private KvBlockStaging? _staging;

    public PagedKvCache(Accelerator accelerator, int layers, int kvDim, int blockSize, int capacityTokens)
        : this(accelerator, layers, kvDim, blockSize, capacityTokens, KvBlockStaging.DefaultChunkBytes)
    {
    }

    /// <summary>A cache whose block import and export stage at most <paramref name="stagingChunkBytes"/> at a time (tests use small chunks).</summary>
    internal PagedKvCache(Accelerator accelerator, int layers, int kvDim, int blockSize, int capacityTokens, long stagingChunkBytes)
    {
        _stagingChunkBytes = stagingChunkBytes;
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        BlockSize = blockSize;
        _kvDim = kvDim;
        _layers = layers;
        BlockCount = (capacityTokens + blockSize - 1) / blockSize;
        _layerStride = (long)BlockCount * blockSize * kvDim;
        _keys = accelerator.Allocate1D<DeviceHalf>(_layerStride * layers);
        _values = accelerator.Allocate1D<DeviceHalf>(_layerStride * layers);
        for (int b = BlockCount - 1; b >= 0; b--)
        {
            _free.Push(b);
        }
    }

    public int BlockSize { get; }

    public int BlockCount { get; }

    public int FreeBlocks => _free.Count;

    public long Bytes => _keys.LengthInBytes + _values.LengthInBytes;

    public ArrayView<DeviceHalf> Keys(int layer) => _keys.View.SubView(layer * _layerStride, _layerStride);

    public ArrayView<DeviceHalf> Values(int layer) => _values.View.SubView(layer * _layerStride, _layerStride);

    /// <summary>Blocks needed to hold <paramref name="tokens"/> tokens in addition to <paramref name="blocks"/>.</summary>
    public int BlocksNeeded(List<int> blocks, int tokens)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return Math.Max(0, ((tokens + BlockSize - 1) / BlockSize) - blocks.Count);
    }

    /// <summary>Adds blocks to <paramref name="blocks"/> until it holds <paramref name="tokens"/> tokens.</summary>
    public void Grow(List<int> blocks, int tokens)
    {
        int needed = BlocksNeeded(blocks, tokens);
        if (needed > _free.Count)
        {
            throw new InvalidOperationException($"KV cache full: {needed} more blocks of {BlockSize} tokens needed, {_free.Count} free of {BlockCount}");
        }

        for (int i = 0; i < needed; i++)
        {
            blocks.Add(_free.Pop());
        }
    }

    public void Release(List<int> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        foreach (int block in blocks)
        {
            _free.Push(block);
        }

        blocks.Clear();
    }

    /// <summary>Overwrites cache blocks <paramref name="targets"/>[i] (every layer) with <paramref name="data"/>[i].</summary>
    public void ImportBlocks(IReadOnlyList<int> targets, IReadOnlyList<KvBlockData> data)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(data);
        if (targets.Count != data.Count)
        {
            throw new ArgumentException($"{data.Count} blocks for {targets.Count} cache blocks");
        }

        foreach (int block in targets)
        {
            CheckBlock(block);
        }

        if (targets.Count > 0)
        {
            Staging().Import(_keys.View, _values.View, targets, data);
        }
    }

    /// <summary>Copies cache blocks <paramref name="sources"/>[i] (every layer) to new host arrays, [layer, slot, kv channel] each.</summary>
    public (Half[] Keys, Half[] Values)[] ExportBlocks(IReadOnlyList<int> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        foreach (int block in sources)
        {
            CheckBlock(block);
        }

        return sources.Count == 0 ? [] : Staging().Export(_keys.View, _values.View, sources);
    }

    public void Dispose()
    {
        _staging?.Dispose();
        _keys.Dispose();
        _values.Dispose();
    }

    private void CheckBlock(int block)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, BlockCount);
    }

    private KvBlockStaging Staging() => _staging ??= new KvBlockStaging(_accelerator, _layers, BlockSize * _kvDim, _layerStride, BlockCount, _stagingChunkBytes);
}
