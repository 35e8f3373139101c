using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Where the keys of one <see cref="DecodeAttentionKernel"/> tile live in the paged cache: the sequence's block table
/// from <paramref name="TableOffset"/>, the tile's first position <paramref name="First"/> and its
/// <paramref name="Keys"/> keys, the kv head's offset within a slot's row.
/// </summary>
internal readonly record struct TileRows(int TableOffset, int First, int Keys, int BlockSize, int KvDim, int HeadOffset)
{
    /// <summary>The 16-byte index of the kv head's first dimensions for the tile's key <paramref name="key"/>.</summary>
    public int FirstOct(ArrayView<int> blockTable, int key)
    {
        int position = First + key;
        int slot = (blockTable[TableOffset + (position / BlockSize)] * BlockSize) + (position % BlockSize);
        return ((slot * KvDim) + HeadOffset) / 8;
    }
}
