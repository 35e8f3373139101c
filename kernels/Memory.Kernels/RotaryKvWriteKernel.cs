using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The step between the Q/K/V projection and attention, in one launch: rotary position embedding (Hugging Face's
/// "rotate half" layout, angles from a <see cref="RopeTable"/>) of the queries in place, and of the keys on their way
/// into the paged cache, and the values' copy into it. Cache layout: [block, slot in block, kv head, head dim] as
/// binary16 bits (rounded to nearest even); the block of position p of a sequence is
/// blockTable[tableOffset(token) + p / blockSize].
/// </summary>
public static class RotaryKvWriteKernel
{
    /// <summary>
    /// The kernel (auto-grouped; per token one index per query pair, key pair and value element:
    /// heads · headDim/2 + kvHeads · headDim/2 + kvHeads · headDim).
    /// </summary>
    public static void Run(
        Index1D index,
        ArrayView<float> q,
        ArrayView<float> k,
        ArrayView<float> v,
        ArrayView<ushort> kCache,
        ArrayView<ushort> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> table,
        int heads,
        int kvHeads,
        int headDim,
        int blockSize)
    {
        int half = headDim / 2;
        int kvDim = kvHeads * headDim;
        int queryPairs = heads * half;
        int keyPairs = kvHeads * half;
        int perToken = queryPairs + keyPairs + kvDim;
        int token = index / perToken;
        int item = index % perToken;
        int position = positions[token];
        if (item >= queryPairs + keyPairs)
        {
            int channel = item - queryPairs - keyPairs;
            vCache[(Slot(positions, tableOffsets, blockTable, token, blockSize) * kvDim) + channel] = HalfRounding.ToHalfBits(v[(token * kvDim) + channel]);
            return;
        }

        bool isKey = item >= queryPairs;
        int pair = isKey ? item - queryPairs : item;
        int head = pair / half;
        int j = pair % half;
        int entry = 2 * ((position * half) + j);
        float c = table[entry];
        float s = table[entry + 1];
        var source = isKey ? k : q;
        int b = (token * (isKey ? kvDim : heads * headDim)) + (head * headDim) + j;
        float x1 = source[b];
        float x2 = source[b + half];
        float r1 = (x1 * c) - (x2 * s);
        float r2 = (x2 * c) + (x1 * s);
        if (isKey)
        {
            int kb = (Slot(positions, tableOffsets, blockTable, token, blockSize) * kvDim) + (head * headDim) + j;
            kCache[kb] = HalfRounding.ToHalfBits(r1);
            kCache[kb + half] = HalfRounding.ToHalfBits(r2);
        }
        else
        {
            q[b] = r1;
            q[b + half] = r2;
        }
    }

    private static int Slot(ArrayView<int> positions, ArrayView<int> tableOffsets, ArrayView<int> blockTable, int token, int blockSize)
    {
        int position = positions[token];
        return (blockTable[tableOffsets[token] + (position / blockSize)] * blockSize) + (position % blockSize);
    }
}
