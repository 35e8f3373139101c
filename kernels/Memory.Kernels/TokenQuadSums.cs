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
    /// Adds one oct of both rows (widened, four weights per <see cref="Float4"/>) times each token's x̂, whose oct's low
    /// quad is at Float4 <paramref name="at"/> + q · <paramref name="stride"/> for token q and its high quad half a
    /// stride later.
    /// </summary>
    public TokenQuadSums Add(ArrayView<Float4> xs, int at, int stride, Float4 aLo, Float4 aHi, Float4 bLo, Float4 bHi)
    {
        int half = stride / 2;
        Float4 l0 = xs[at], h0 = xs[at + half];
        Float4 l1 = xs[at + stride], h1 = xs[at + stride + half];
        Float4 l2 = xs[at + (2 * stride)], h2 = xs[at + (2 * stride) + half];
        Float4 l3 = xs[at + (3 * stride)], h3 = xs[at + (3 * stride) + half];
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
    /// The first step of a warp's reduce-scatter of two quads (<see cref="Fold"/>): the lanes with the
    /// <paramref name="offset"/> bit set keep <paramref name="high"/>'s sums, the others <paramref name="low"/>'s, each
    /// plus its partner's copy of the same sums.
    /// </summary>
    public static TokenQuadSums Halve(TokenQuadSums low, TokenQuadSums high, bool upper, int offset) => new(
        Keep(upper, low._a0, high._a0, offset),
        Keep(upper, low._a1, high._a1, offset),
        Keep(upper, low._a2, high._a2, offset),
        Keep(upper, low._a3, high._a3, offset),
        Keep(upper, low._b0, high._b0, offset),
        Keep(upper, low._b1, high._b1, offset),
        Keep(upper, low._b2, high._b2, offset),
        Keep(upper, low._b3, high._b3, offset));

    /// <summary>
    /// One step of a warp's reduce-scatter: of the <paramref name="held"/> sums in the first slots (8, 4 or 2; slot order
    /// A₀…A₃ B₀…B₃), the lanes with the <paramref name="offset"/> bit set keep the upper half, the others the lower, each
    /// plus its partner's copy, in the first held / 2 slots. A step costs held / 2 shuffles where a butterfly sum costs
    /// eight, and after log₂(held) steps every lane holds one sum, no lane the same as its partners', so the lanes store
    /// side by side (16 shuffles for a tile of eight on 32 lanes instead of 80).
    /// </summary>
    public TokenQuadSums Fold(int held, bool upper, int offset)
    {
        if (held == 8)
        {
            return new(Keep(upper, _a0, _b0, offset), Keep(upper, _a1, _b1, offset), Keep(upper, _a2, _b2, offset), Keep(upper, _a3, _b3, offset), 0f, 0f, 0f, 0f);
        }

        return held == 4
            ? new(Keep(upper, _a0, _a2, offset), Keep(upper, _a1, _a3, offset), 0f, 0f, 0f, 0f, 0f, 0f)
            : new(Keep(upper, _a0, _a1, offset), 0f, 0f, 0f, 0f, 0f, 0f, 0f);
    }

    /// <summary>The first slot plus the lane's <paramref name="offset"/>-away partner's: a butterfly step once one sum is left.</summary>
    public TokenQuadSums PlusPartner(int offset) => new(_a0 + Warp.ShuffleXor(_a0, offset), 0f, 0f, 0f, 0f, 0f, 0f, 0f);

    /// <summary>Slot <paramref name="j"/> in the order A₀…A₃ B₀…B₃.</summary>
    public float Slot(int j) => j < Tokens ? A(j) : B(j - Tokens);

    /// <summary>Row A's sum for token <paramref name="q"/> of the quad.</summary>
    public float A(int q) => q == 0 ? _a0 : (q == 1 ? _a1 : (q == 2 ? _a2 : _a3));

    /// <summary>Row B's sum for token <paramref name="q"/> of the quad.</summary>
    public float B(int q) => q == 0 ? _b0 : (q == 1 ? _b1 : (q == 2 ? _b2 : _b3));

    // A chain of multiply-adds (contracted to FMAs by ptxas): with eight independent sums per quad there is enough
    // parallelism without a tree, and a tree would cost an add per pair on top.
    private static float Dot(float sum, Float4 xLo, Float4 xHi, Float4 wLo, Float4 wHi) =>
        sum + (xLo.X * wLo.X) + (xLo.Y * wLo.Y) + (xLo.Z * wLo.Z) + (xLo.W * wLo.W)
        + (xHi.X * wHi.X) + (xHi.Y * wHi.Y) + (xHi.Z * wHi.Z) + (xHi.W * wHi.W);

    // Every lane shuffles the half it gives up, so each partner receives the half it keeps.
    private static float Keep(bool upper, float lower, float higher, int offset) =>
        (upper ? higher : lower) + Warp.ShuffleXor(upper ? lower : higher, offset);
}
