using ILGPU;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// <see cref="PrefillAttentionKernel"/> for head dimension 64 with its arithmetic in registers: 128 threads per group,
/// 16 queries, 64-key tiles. Thread t holds queries 2·(t / 16) and the next one and, within the tile, keys t % 16 + 16b
/// (scores) and output dimensions t % 16 + 16c (b, c = 0..3), so each step of the two small products reads six shared
/// floats for eight multiply-adds (the generic kernel reads two per one) and the output accumulators never leave
/// registers. The keys are staged transposed (row stride 65) so that those reads hit 16 distinct banks; the 16
/// threads of a query pair are one half-warp, whose shuffles reduce a query's max and sum. Same grid, splits, scratch
/// layout, causal mask and window as the generic kernel; needs a warp of 32 lanes.
/// </summary>
public static class PrefillAttention64Kernel
{
    public const int HeadDim = 64;
    public const int GroupSize = 128;
    public const int KeyTile = 64;
    private const int QueryTile = PrefillAttentionKernel.QueryTile;
    private const int KeyStride = KeyTile + 1;

    /// <summary>Dynamic shared floats a group needs: queries, transposed keys, values, probabilities.</summary>
    public const int SharedFloats = (QueryTile * HeadDim) + (HeadDim * KeyStride) + (KeyTile * HeadDim) + (QueryTile * KeyTile);

    /// <summary>The kernel (explicitly grouped, <see cref="GroupSize"/> threads; grid and outputs as <see cref="PrefillAttentionKernel.Run"/>).</summary>
    public static void Run(
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        ArrayView<float> scratch,
        int tokens,
        AttentionShape shape)
    {
        int heads = shape.Heads;
        int kvDim = shape.KvHeads * HeadDim;
        int splits = shape.Splits;
        var group = PrefillGroup.OfThisGroup(positions, tableOffsets, tokens, shape);
        int split = group.Split;
        int head = group.Head;
        int kvOffset = group.KvOffset;
        int t0 = group.FirstToken;
        int queries = group.Queries;
        int tid = Group.IdxX;
        int pair = tid / 16;
        int l = tid % 16;
        int qa = 2 * pair;
        var shared = SharedMemory.GetDynamic<float>();
        var qs = shared.SubView(0, QueryTile * HeadDim);
        var kt = shared.SubView(QueryTile * HeadDim, HeadDim * KeyStride);
        var vs = shared.SubView((QueryTile * HeadDim) + (HeadDim * KeyStride), KeyTile * HeadDim);
        var ps = shared.SubView((QueryTile * HeadDim) + (HeadDim * KeyStride) + (KeyTile * HeadDim), QueryTile * KeyTile);
        for (int i = tid; i < QueryTile * HeadDim; i += GroupSize)
        {
            int qi = i / HeadDim;
            qs[i] = qi < queries ? q[((((t0 + qi) * heads) + head) * HeadDim) + (i % HeadDim)] * shape.Scale : 0f;
        }

        bool activeA = qa < queries;
        bool activeB = qa + 1 < queries;
        int positionA = activeA ? positions[t0 + qa] : -1;
        int positionB = activeB ? positions[t0 + qa + 1] : -1;
        int windowA = shape.Window > 0 ? positionA - shape.Window + 1 : 0;
        int windowB = shape.Window > 0 ? positionB - shape.Window + 1 : 0;
        int tableOffset = group.TableOffset;
        int firstKey = group.FirstKey;
        int lastKey = group.LastKey;
        float mA = float.NegativeInfinity, mB = float.NegativeInfinity, lA = 0f, lB = 0f;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, b0 = 0f, b1 = 0f, b2 = 0f, b3 = 0f;
        for (int start = firstKey; start <= lastKey; start += KeyTile)
        {
            Group.Barrier();
            for (int i = tid; i < KeyTile * HeadDim; i += GroupSize)
            {
                int j = i / HeadDim;
                int d = i % HeadDim;
                int key = start + j;
                float kv = 0f, vv = 0f;
                if (key <= lastKey)
                {
                    int slot = (blockTable[tableOffset + (key / shape.BlockSize)] * shape.BlockSize) + (key % shape.BlockSize);
                    kv = (float)kCache[(slot * kvDim) + kvOffset + d];
                    vv = (float)vCache[(slot * kvDim) + kvOffset + d];
                }

                kt[(d * KeyStride) + j] = kv;
                vs[(j * HeadDim) + d] = vv;
            }

            Group.Barrier();
            float sa0 = 0f, sa1 = 0f, sa2 = 0f, sa3 = 0f, sb0 = 0f, sb1 = 0f, sb2 = 0f, sb3 = 0f;
            for (int d = 0; d < HeadDim; d++)
            {
                float x = qs[(qa * HeadDim) + d];
                float y = qs[((qa + 1) * HeadDim) + d];
                int row = d * KeyStride;
                float k0 = kt[row + l], k1 = kt[row + l + 16], k2 = kt[row + l + 32], k3 = kt[row + l + 48];
                sa0 += x * k0;
                sa1 += x * k1;
                sa2 += x * k2;
                sa3 += x * k3;
                sb0 += y * k0;
                sb1 += y * k1;
                sb2 += y * k2;
                sb3 += y * k3;
            }

            sa0 = Mask(sa0, start + l, activeA, positionA, windowA, lastKey);
            sa1 = Mask(sa1, start + l + 16, activeA, positionA, windowA, lastKey);
            sa2 = Mask(sa2, start + l + 32, activeA, positionA, windowA, lastKey);
            sa3 = Mask(sa3, start + l + 48, activeA, positionA, windowA, lastKey);
            sb0 = Mask(sb0, start + l, activeB, positionB, windowB, lastKey);
            sb1 = Mask(sb1, start + l + 16, activeB, positionB, windowB, lastKey);
            sb2 = Mask(sb2, start + l + 32, activeB, positionB, windowB, lastKey);
            sb3 = Mask(sb3, start + l + 48, activeB, positionB, windowB, lastKey);
            float newA = MathF.Max(mA, HalfWarpMax(MathF.Max(MathF.Max(sa0, sa1), MathF.Max(sa2, sa3))));
            float newB = MathF.Max(mB, HalfWarpMax(MathF.Max(MathF.Max(sb0, sb1), MathF.Max(sb2, sb3))));
            // A query may see no key of this tile (the causal edge, or a window starting later): nothing changes.
            float correctionA = newA == float.NegativeInfinity ? 1f : MathF.Exp(mA - newA);
            float correctionB = newB == float.NegativeInfinity ? 1f : MathF.Exp(mB - newB);
            sa0 = Probability(sa0, newA);
            sa1 = Probability(sa1, newA);
            sa2 = Probability(sa2, newA);
            sa3 = Probability(sa3, newA);
            sb0 = Probability(sb0, newB);
            sb1 = Probability(sb1, newB);
            sb2 = Probability(sb2, newB);
            sb3 = Probability(sb3, newB);
            lA = (lA * correctionA) + HalfWarpSum((sa0 + sa1) + (sa2 + sa3));
            lB = (lB * correctionB) + HalfWarpSum((sb0 + sb1) + (sb2 + sb3));
            mA = newA;
            mB = newB;
            int pa = qa * KeyTile, pb = (qa + 1) * KeyTile;
            ps[pa + l] = sa0;
            ps[pa + l + 16] = sa1;
            ps[pa + l + 32] = sa2;
            ps[pa + l + 48] = sa3;
            ps[pb + l] = sb0;
            ps[pb + l + 16] = sb1;
            ps[pb + l + 32] = sb2;
            ps[pb + l + 48] = sb3;
            Group.Barrier();
            a0 *= correctionA;
            a1 *= correctionA;
            a2 *= correctionA;
            a3 *= correctionA;
            b0 *= correctionB;
            b1 *= correctionB;
            b2 *= correctionB;
            b3 *= correctionB;
            for (int j = 0; j < KeyTile; j++)
            {
                float x = ps[pa + j];
                float y = ps[pb + j];
                int row = j * HeadDim;
                float v0 = vs[row + l], v1 = vs[row + l + 16], v2 = vs[row + l + 32], v3 = vs[row + l + 48];
                a0 += x * v0;
                a1 += x * v1;
                a2 += x * v2;
                a3 += x * v3;
                b0 += y * v0;
                b1 += y * v1;
                b2 += y * v2;
                b3 += y * v3;
            }
        }

        Write(output, scratch, tokens, heads, splits, split, head, t0 + qa, activeA, mA, lA, a0, a1, a2, a3, l);
        Write(output, scratch, tokens, heads, splits, split, head, t0 + qa + 1, activeB, mB, lB, b0, b1, b2, b3, l);
    }

    private static float Mask(float score, int key, bool active, int position, int windowStart, int lastKey) =>
        active && key <= position && key >= windowStart && key <= lastKey ? score : float.NegativeInfinity;

    private static float Probability(float score, float max) => score == float.NegativeInfinity ? 0f : MathF.Exp(score - max);

    /// <summary>Max over the 16 lanes of a half-warp (offsets below 16 never cross into the other half).</summary>
    private static float HalfWarpMax(float value)
    {
        for (int offset = 8; offset > 0; offset /= 2)
        {
            value = MathF.Max(value, Warp.ShuffleXor(value, offset));
        }

        return value;
    }

    private static float HalfWarpSum(float value)
    {
        for (int offset = 8; offset > 0; offset /= 2)
        {
            value += Warp.ShuffleXor(value, offset);
        }

        return value;
    }

    private static void Write(ArrayView<float> output, ArrayView<float> scratch, int tokens, int heads, int splits, int split, int head, int token, bool active, float m, float l, float o0, float o1, float o2, float o3, int lane)
    {
        if (!active)
        {
            return;
        }

        if (splits == 1)
        {
            float inverse = 1f / l;
            int target = ((token * heads) + head) * HeadDim;
            output[target + lane] = o0 * inverse;
            output[target + lane + 16] = o1 * inverse;
            output[target + lane + 32] = o2 * inverse;
            output[target + lane + 48] = o3 * inverse;
            return;
        }

        // Unnormalised, with this split's max and sum: PagedAttentionKernel.Merge's layout.
        int row = (((token * heads) + head) * splits) + split;
        scratch[(row * HeadDim) + lane] = o0;
        scratch[(row * HeadDim) + lane + 16] = o1;
        scratch[(row * HeadDim) + lane + 32] = o2;
        scratch[(row * HeadDim) + lane + 48] = o3;
        if (lane == 0)
        {
            int stats = (tokens * heads * splits * HeadDim) + (2 * row);
            scratch[stats] = m;
            scratch[stats + 1] = l;
        }
    }
}
