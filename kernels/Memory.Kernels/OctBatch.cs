using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One lane's next loads of a row pair in <see cref="GemvKernel"/>: sixteen bytes of each row at oct indices o, o + lanes,
/// o + 2·lanes and o + 3·lanes of the slice (those at or past its end absent), all requested before any is used.
/// </summary>
internal readonly struct OctBatch(Bits128 a0, Bits128 a1, Bits128 a2, Bits128 a3, Bits128 b0, Bits128 b1, Bits128 b2, Bits128 b3)
{
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
