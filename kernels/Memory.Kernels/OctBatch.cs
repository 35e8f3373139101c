using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One lane's next loads of a row pair in <see cref="GemvKernel"/> and <see cref="FewTokenGemvKernel"/>: sixteen bytes of
/// each row at oct indices o, o + lanes, o + 2·lanes and o + 3·lanes of the slice (those at or past its end absent), all
/// requested before any is used.
/// </summary>
internal readonly struct OctBatch(Bits128 a0, Bits128 a1, Bits128 a2, Bits128 a3, Bits128 b0, Bits128 b1, Bits128 b2, Bits128 b3)
{
    /// <summary>Loads of each row in a batch (so 2 · 4 · 16 bytes per lane in flight).</summary>
    public const int Depth = 4;

    private readonly Bits128 _a0 = a0, _a1 = a1, _a2 = a2, _a3 = a3;
    private readonly Bits128 _b0 = b0, _b1 = b1, _b2 = b2, _b3 = b3;

    /// <summary>The octs at <paramref name="o"/> + j·lanes (j &lt; 4, below <paramref name="octs"/>) of the rows whose slices start at octs <paramref name="baseA"/> and <paramref name="baseB"/>.</summary>
    public static OctBatch Load(ArrayView<Bits128> w16, int baseA, int baseB, int o, int octs, int lanes)
    {
        int o1 = o + lanes, o2 = o + (2 * lanes), o3 = o + (3 * lanes);
        return new OctBatch(
            o < octs ? w16[baseA + o] : default,
            o1 < octs ? w16[baseA + o1] : default,
            o2 < octs ? w16[baseA + o2] : default,
            o3 < octs ? w16[baseA + o3] : default,
            o < octs ? w16[baseB + o] : default,
            o1 < octs ? w16[baseB + o1] : default,
            o2 < octs ? w16[baseB + o2] : default,
            o3 < octs ? w16[baseB + o3] : default);
    }

    /// <summary>Adds both rows' octs times x̂ (staged four floats per <see cref="Float4"/>) to the running sums.</summary>
    public void Dot(ArrayView<Float4> xs, int o, int octs, int lanes, int type, ref float da, ref float db)
    {
        Add(xs, o, octs, _a0, _b0, type, ref da, ref db);
        Add(xs, o + lanes, octs, _a1, _b1, type, ref da, ref db);
        Add(xs, o + (2 * lanes), octs, _a2, _b2, type, ref da, ref db);
        Add(xs, o + (3 * lanes), octs, _a3, _b3, type, ref da, ref db);
    }

    /// <summary>
    /// Adds both rows' octs times x̂ of each token of a tile (token t's slice staged at Float4 t · <paramref name="stride"/>,
    /// low quads in its first half and high quads in its second) to the tile's running sums: tokens 0–3 in <paramref name="first"/>, 4–7 in <paramref name="second"/> when the tile
    /// (a compile-time constant) is wider than four. Each oct is widened once for all the tile's tokens.
    /// </summary>
    public void DotTile(ArrayView<Float4> xs, int o, int octs, int lanes, int type, int stride, int tile, ref TokenQuadSums first, ref TokenQuadSums second)
    {
        AddTile(xs, o, octs, _a0, _b0, type, stride, tile, ref first, ref second);
        AddTile(xs, o + lanes, octs, _a1, _b1, type, stride, tile, ref first, ref second);
        AddTile(xs, o + (2 * lanes), octs, _a2, _b2, type, stride, tile, ref first, ref second);
        AddTile(xs, o + (3 * lanes), octs, _a3, _b3, type, stride, tile, ref first, ref second);
    }

    private static void AddTile(ArrayView<Float4> xs, int o, int octs, Bits128 a, Bits128 b, int type, int stride, int tile, ref TokenQuadSums first, ref TokenQuadSums second)
    {
        if (o >= octs)
        {
            return;
        }

        var aLo = Widen(a.A, a.B, type);
        var aHi = Widen(a.C, a.D, type);
        var bLo = Widen(b.A, b.B, type);
        var bHi = Widen(b.C, b.D, type);
        first = first.Add(xs, o, stride, aLo, aHi, bLo, bHi);
        if (tile > TokenQuadSums.Tokens)
        {
            second = second.Add(xs, o + (TokenQuadSums.Tokens * stride), stride, aLo, aHi, bLo, bHi);
        }
    }

    private static Float4 Widen(uint lo, uint hi, int type) => new(Low(lo, type), High(lo, type), Low(hi, type), High(hi, type));

    private static void Add(ArrayView<Float4> xs, int o, int octs, Bits128 a, Bits128 b, int type, ref float da, ref float db)
    {
        // Octs past the slice were not loaded, and x̂ is not staged there.
        if (o >= octs)
        {
            return;
        }

        var lo = xs[2 * o];
        var hi = xs[(2 * o) + 1];
        da += OctDot(lo, hi, a, type);
        db += OctDot(lo, hi, b, type);
    }

    private static float OctDot(Float4 lo, Float4 hi, Bits128 w, int type) =>
        ((lo.X * Low(w.A, type)) + (lo.Y * High(w.A, type)) + (lo.Z * Low(w.B, type)) + (lo.W * High(w.B, type)))
        + ((hi.X * Low(w.C, type)) + (hi.Y * High(w.C, type)) + (hi.Z * Low(w.D, type)) + (hi.W * High(w.D, type)));

    // bf16 is the top half of an fp32: one shift or mask per weight.
    private static float Low(uint bits, int type) =>
        type == WeightType.BFloat16 ? Interop.IntAsFloat(bits << 16) : WeightLoads.Widen((ushort)bits, type);

    private static float High(uint bits, int type) =>
        type == WeightType.BFloat16 ? Interop.IntAsFloat(bits & 0xFFFF0000u) : WeightLoads.Widen((ushort)(bits >> 16), type);
}
