using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Writes each token's key and value rows into the paged cache of one layer. Cache layout:
/// [block, slot in block, kv head, head dim] as binary16 bits (rounded to nearest even); the block of position p of a sequence is
/// blockTable[tableOffset(token) + p / blockSize].
/// </summary>
public static class KvCacheWriteKernel
{
    /// <summary>The kernel (auto-grouped; one index per (token, kv channel)).</summary>
    public static void Run(
        Index1D index,
        ArrayView<float> k,
        ArrayView<float> v,
        ArrayView<ushort> kCache,
        ArrayView<ushort> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        int kvDim,
        int blockSize)
    {
        int token = index / kvDim;
        int channel = index % kvDim;
        int position = positions[token];
        int block = blockTable[tableOffsets[token] + (position / blockSize)];
        int slot = (block * blockSize) + (position % blockSize);
        kCache[(slot * kvDim) + channel] = HalfRounding.ToHalfBits(k[index]);
        vCache[(slot * kvDim) + channel] = HalfRounding.ToHalfBits(v[index]);
    }
}
