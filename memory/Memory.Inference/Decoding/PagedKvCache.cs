using ILGPU;
using System.Runtime.InteropServices;
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

    public PagedKvCache(Accelerator accelerator, int layers, int kvDim, int blockSize, int capacityTokens)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        BlockSize = blockSize;
        _kvDim = kvDim;
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

    /// <summary>Copies one block of one layer (keys and values, [slot, kv head, head dim]) to the host.</summary>
    public void CopyBlockToHost(int layer, int block, Span<Half> keys, Span<Half> values)
    {
        var (offset, length) = BlockRange(block, keys.Length, values.Length);
        Keys(layer).SubView(offset, length).CopyToCPU(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<Half, DeviceHalf>(keys)), length);
        Values(layer).SubView(offset, length).CopyToCPU(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<Half, DeviceHalf>(values)), length);
    }

    /// <summary>Overwrites one block of one layer with keys and values from the host.</summary>
    public void CopyBlockFromHost(int layer, int block, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values)
    {
        var (offset, length) = BlockRange(block, keys.Length, values.Length);
        Keys(layer).SubView(offset, length).CopyFromCPU(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<Half, DeviceHalf>(keys)), length);
        Values(layer).SubView(offset, length).CopyFromCPU(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<Half, DeviceHalf>(values)), length);
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }

    private (long Offset, long Length) BlockRange(int block, int keyLength, int valueLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, BlockCount);
        long length = (long)BlockSize * _kvDim;
        if (keyLength != length || valueLength != length)
        {
            throw new ArgumentException($"a block of one layer holds {length} keys and values; got {keyLength} and {valueLength}");
        }

        return (block * length, length);
    }
}
