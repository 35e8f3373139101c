using ILGPU;
using ILGPU.Runtime;

namespace Memory.Inference.Decoding;

/// <summary>
/// The key/value cache of every layer as fixed-size blocks of tokens, handed to sequences from a free list.
/// Layout per layer: [block, slot, kv head, head dim] fp32 (fp32 keeps the cache bit-compatible with the reference).
/// </summary>
public sealed class PagedKvCache : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _keys;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _values;
    private readonly Stack<int> _free = new();
    private readonly long _layerStride;

    public PagedKvCache(Accelerator accelerator, int layers, int kvDim, int blockSize, int capacityTokens)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        BlockSize = blockSize;
        BlockCount = (capacityTokens + blockSize - 1) / blockSize;
        _layerStride = (long)BlockCount * blockSize * kvDim;
        _keys = accelerator.Allocate1D<float>(_layerStride * layers);
        _values = accelerator.Allocate1D<float>(_layerStride * layers);
        for (int b = BlockCount - 1; b >= 0; b--)
        {
            _free.Push(b);
        }
    }

    public int BlockSize { get; }

    public int BlockCount { get; }

    public int FreeBlocks => _free.Count;

    public long Bytes => _keys.LengthInBytes + _values.LengthInBytes;

    public ArrayView<float> Keys(int layer) => _keys.View.SubView(layer * _layerStride, _layerStride);

    public ArrayView<float> Values(int layer) => _values.View.SubView(layer * _layerStride, _layerStride);

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

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
