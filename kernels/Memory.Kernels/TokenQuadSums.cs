using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One lane's running sums of a row pair (A, B) against four staged tokens in <see cref="FewTokenGemvKernel"/>: eight
/// fields rather than an array, so that they stay in registers (an array indexed by token would go to local memory).
/// </summary>
internal readonly struct TokenQuadSums(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3)
{
    /// <summary>Tokens per quad.</summary>
    public const int Tokens = 4;

    private readonly float _a0 = a0, _a1 = a1, _a2 = a2, _a3 = a3;
    private readonly float _b0 = b0, _b1 = b1, _b2 = b2, _b3 = b3;

    /// <summary>
    /// Adds one oct of both rows (widened, four weights per <see cref="Float4"/>) times each token's x̂, whose oct starts
    /// at Float4 <paramref name="at"/> + q · <paramref name="stride"/> for token q.
    /// </summary>
    public TokenQuadSums Add(ArrayView<Float4> xs, int at, int stride, Float4 aLo, Float4 aHi, Float4 bLo, Float4 bHi)
    {
        Float4 l0 = xs[at], h0 = xs[at + 1];
        Float4 l1 = xs[at + stride], h1 = xs[at + stride + 1];
        Float4 l2 = xs[at + (2 * stride)], h2 = xs[at + (2 * stride) + 1];
        Float4 l3 = xs[at + (3 * stride)], h3 = xs[at + (3 * stride) + 1];
        return new(
            Dot(_a0, l0, h0, aLo, aHi),
            Dot(_a1, l1, h1, aLo, aHi),
            Dot(_a2, l2, h2, aLo, aHi),
            Dot(_a3, l3, h3, aLo, aHi),
            Dot(_b0, l0, h0, bLo, bHi),
            Dot(_b1, l1, h1, bLo, bHi),
            Dot(_b2, l2, h2, bLo, bHi),
            Dot(_b3, l3, h3, bLo, bHi));
    }

    /// <summary>
    /// One butterfly step of a warp sum for all eight sums: each plus the lane's <paramref name="offset"/>-away partner's
    /// (every lane must call). The caller steps every quad through the offsets together, so the shuffles of a step are
    /// independent: eight or sixteen sums cost five shuffle latencies, not one chain of five per sum (ILGPU does not
    /// unroll <see cref="GroupReductions.WarpSum"/>'s loop, so sums reduced one by one run back to back).
    /// </summary>
    public TokenQuadSums PlusPartner(int offset) => new(
        _a0 + Warp.ShuffleXor(_a0, offset),
        _a1 + Warp.ShuffleXor(_a1, offset),
        _a2 + Warp.ShuffleXor(_a2, offset),
        _a3 + Warp.ShuffleXor(_a3, offset),
        _b0 + Warp.ShuffleXor(_b0, offset),
        _b1 + Warp.ShuffleXor(_b1, offset),
        _b2 + Warp.ShuffleXor(_b2, offset),
        _b3 + Warp.ShuffleXor(_b3, offset));

    /// <summary>Row A's sum for token <paramref name="q"/> of the quad.</summary>
    public float A(int q) => q == 0 ? _a0 : (q == 1 ? _a1 : (q == 2 ? _a2 : _a3));

    /// <summary>Row B's sum for token <paramref name="q"/> of the quad.</summary>
    public float B(int q) => q == 0 ? _b0 : (q == 1 ? _b1 : (q == 2 ? _b2 : _b3));

    // A chain of multiply-adds (contracted to FMAs by ptxas): with eight independent sums per quad there is enough
    // parallelism without a tree, and a tree would cost an add per pair on top.
    private static float Dot(float sum, Float4 xLo, Float4 xHi, Float4 wLo, Float4 wHi) =>
        sum + (xLo.X * wLo.X) + (xLo.Y * wLo.Y) + (xLo.Z * wLo.Z) + (xLo.W * wLo.W)
        + (xHi.X * wHi.X) + (xHi.Y * wHi.Y) + (xHi.Z * wHi.Z) + (xHi.W * wHi.W);
}
