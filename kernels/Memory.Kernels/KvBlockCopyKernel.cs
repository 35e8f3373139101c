using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Moves whole KV blocks between the paged cache and a dense staging buffer in one launch, so that importing or
/// exporting n blocks costs one host↔device copy instead of 2 · layers · n small ones. Cache layout per layer:
/// [block, slot · kv channel] at <c>layer · layerStride</c>; staging layout: [staged block, keys | values, layer,
/// slot · kv channel], which is a block's keys of every layer followed by its values, as the KV store holds them.
/// Both are moved as 32-bit words (two fp16 values): a block of one layer always holds an even number of values
/// because the head dimension is even.
/// </summary>
public static class KvBlockCopyKernel
{
    /// <summary>staging → cache (auto-grouped; one index per staged word).</summary>
    public static void Scatter(Index1D index, ArrayView<uint> staging, ArrayView<uint> keys, ArrayView<uint> values, ArrayView<int> blocks, int layers, int blockWords, long layerStrideWords)
    {
        long cache = CacheWord(index, blocks, layers, blockWords, layerStrideWords, out bool isValue);
        if (isValue)
        {
            values[cache] = staging[index];
        }
        else
        {
            keys[cache] = staging[index];
        }
    }

    /// <summary>cache → staging (auto-grouped; one index per staged word).</summary>
    public static void Gather(Index1D index, ArrayView<uint> staging, ArrayView<uint> keys, ArrayView<uint> values, ArrayView<int> blocks, int layers, int blockWords, long layerStrideWords)
    {
        long cache = CacheWord(index, blocks, layers, blockWords, layerStrideWords, out bool isValue);
        staging[index] = isValue ? values[cache] : keys[cache];
    }

    private static long CacheWord(int index, ArrayView<int> blocks, int layers, int blockWords, long layerStrideWords, out bool isValue)
    {
        int word = index % blockWords;
        int rest = index / blockWords;
        int layer = rest % layers;
        rest /= layers;
        isValue = (rest & 1) != 0;
        int staged = rest >> 1;
        return (layer * layerStrideWords) + ((long)blocks[staged] * blockWords) + word;
    }
}
