using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One pass of <see cref="PagedAttentionKernel"/>'s value sum for a thread: its quad of value dimensions of eight of the
/// tile's keys (jj, jj + subsets, …, below the tile's end; absent keys weigh zero) with their probabilities, every load
/// issued before any is used.
/// </summary>
internal readonly struct ValuePass
{
    private readonly ulong _e0, _e1, _e2, _e3, _e4, _e5, _e6, _e7;
    private readonly float _p0, _p1, _p2, _p3, _p4, _p5, _p6, _p7;

    private ValuePass(ulong e0, ulong e1, ulong e2, ulong e3, ulong e4, ulong e5, ulong e6, ulong e7, float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7)
    {
        _e0 = e0; _e1 = e1; _e2 = e2; _e3 = e3; _e4 = e4; _e5 = e5; _e6 = e6; _e7 = e7;
        _p0 = p0; _p1 = p1; _p2 = p2; _p3 = p3; _p4 = p4; _p5 = p5; _p6 = p6; _p7 = p7;
    }

    /// <summary>Loads the pass starting at the tile's key <paramref name="jj"/> (which must be below <paramref name="inTile"/>).</summary>
    public static ValuePass Load(ArrayView<ulong> v4, ArrayView<float> ps, ArrayView<int> blockTable, int tableOffset, int tile, int jj, int subsets, int inTile, int blockSize, int kvDim, int headOffset, int quad)
    {
        return new ValuePass(
            Quad(v4, blockTable, tableOffset, tile, jj, inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + subsets, inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (2 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (3 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (4 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (5 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (6 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            Quad(v4, blockTable, tableOffset, tile, jj + (7 * subsets), inTile, blockSize, kvDim, headOffset, quad),
            ps[jj],
            Probability(ps, jj + subsets, inTile),
            Probability(ps, jj + (2 * subsets), inTile),
            Probability(ps, jj + (3 * subsets), inTile),
            Probability(ps, jj + (4 * subsets), inTile),
            Probability(ps, jj + (5 * subsets), inTile),
            Probability(ps, jj + (6 * subsets), inTile),
            Probability(ps, jj + (7 * subsets), inTile));
    }

    /// <summary>Σ p · v[component] over the pass's keys (component 0–3 of the thread's quad).</summary>
    public float Sum(int component) =>
        (((_p0 * HalfBits.ToFloat(_e0, component)) + (_p1 * HalfBits.ToFloat(_e1, component))) + ((_p2 * HalfBits.ToFloat(_e2, component)) + (_p3 * HalfBits.ToFloat(_e3, component))))
        + (((_p4 * HalfBits.ToFloat(_e4, component)) + (_p5 * HalfBits.ToFloat(_e5, component))) + ((_p6 * HalfBits.ToFloat(_e6, component)) + (_p7 * HalfBits.ToFloat(_e7, component))));

    private static ulong Quad(ArrayView<ulong> v4, ArrayView<int> blockTable, int tableOffset, int tile, int key, int inTile, int blockSize, int kvDim, int headOffset, int quad) =>
        key < inTile ? v4[(PagedAttentionKernel.ValueBase(blockTable, tableOffset, tile + key, blockSize, kvDim, headOffset) / 4) + quad] : 0UL;

    private static float Probability(ArrayView<float> ps, int key, int inTile) => key < inTile ? ps[key] : 0f;
}
