using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// A batch of <see cref="KvOctLoads"/> of a key row widened to floats once (two <see cref="Float4"/>s per oct), so
/// <see cref="DecodeAttentionKernel"/> scores the key against each of its query heads with multiply-adds alone instead
/// of converting the same fp16 elements once per head.
/// </summary>
internal readonly struct KeyOctFloats
{
    private readonly Float4 _l0, _l1, _l2, _l3, _l4, _l5, _l6, _l7;
    private readonly Float4 _h0, _h1, _h2, _h3, _h4, _h5, _h6, _h7;

    public KeyOctFloats(Bits128 e0, Bits128 e1, Bits128 e2, Bits128 e3, Bits128 e4, Bits128 e5, Bits128 e6, Bits128 e7)
    {
        _l0 = Low(e0); _h0 = High(e0);
        _l1 = Low(e1); _h1 = High(e1);
        _l2 = Low(e2); _h2 = High(e2);
        _l3 = Low(e3); _h3 = High(e3);
        _l4 = Low(e4); _h4 = High(e4);
        _l5 = Low(e5); _h5 = High(e5);
        _l6 = Low(e6); _h6 = High(e6);
        _l7 = Low(e7); _h7 = High(e7);
    }

    /// <summary>
    /// q · k over the batch's octs c..c + 7 below <paramref name="octs"/> for the query staged at Float4
    /// <paramref name="query"/> (two Float4s per oct); octs past the head are neither read nor summed.
    /// </summary>
    public float Dot(ArrayView<Float4> queries, int query, int c, int octs) =>
        ((OctDot(queries, query, c, octs, _l0, _h0) + OctDot(queries, query, c + 1, octs, _l1, _h1))
            + (OctDot(queries, query, c + 2, octs, _l2, _h2) + OctDot(queries, query, c + 3, octs, _l3, _h3)))
        + ((OctDot(queries, query, c + 4, octs, _l4, _h4) + OctDot(queries, query, c + 5, octs, _l5, _h5))
            + (OctDot(queries, query, c + 6, octs, _l6, _h6) + OctDot(queries, query, c + 7, octs, _l7, _h7)));

    private static float OctDot(ArrayView<Float4> queries, int query, int oct, int octs, Float4 lo, Float4 hi)
    {
        if (oct >= octs)
        {
            return 0f;
        }

        var qLo = queries[query + (2 * oct)];
        var qHi = queries[query + (2 * oct) + 1];
        return ((qLo.X * lo.X) + (qLo.Y * lo.Y) + (qLo.Z * lo.Z) + (qLo.W * lo.W))
            + ((qHi.X * hi.X) + (qHi.Y * hi.Y) + (qHi.Z * hi.Z) + (qHi.W * hi.W));
    }

    private static Float4 Low(Bits128 bits) => new(HalfBits.ToFloat(bits.A), HalfBits.ToFloat(bits.A >> 16), HalfBits.ToFloat(bits.B), HalfBits.ToFloat(bits.B >> 16));

    private static Float4 High(Bits128 bits) => new(HalfBits.ToFloat(bits.C), HalfBits.ToFloat(bits.C >> 16), HalfBits.ToFloat(bits.D), HalfBits.ToFloat(bits.D >> 16));
}
