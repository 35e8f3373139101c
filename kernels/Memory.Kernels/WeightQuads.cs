using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One lane's share of an 8-byte-load pass of <see cref="MatMulKernel"/>: up to four quads of 16-bit weights at quad
/// indices i, i + lanes, i + 2·lanes, i + 3·lanes (those at or past <c>quads</c> absent) and the norm gains for the
/// same columns, loaded before any is used so that their latencies overlap.
/// </summary>
internal readonly struct WeightQuads(ulong w0, ulong w1, ulong w2, ulong w3, ulong g0, ulong g1, ulong g2, ulong g3, int i, int quads, int lanes)
{
    private readonly ulong _w0 = w0, _w1 = w1, _w2 = w2, _w3 = w3;
    private readonly ulong _g0 = g0, _g1 = g1, _g2 = g2, _g3 = g3;
    private readonly int _i = i, _quads = quads, _lanes = lanes;

    /// <summary>Loads the quads at i, i + lanes, i + 2·lanes and i + 3·lanes of the weight row starting at quad <paramref name="rowQuad"/>.</summary>
    public static WeightQuads Load(ArrayView<ulong> w4, ArrayView<ulong> g4, int rowQuad, int i, int quads, int lanes, bool normed)
    {
        int i1 = i + lanes, i2 = i + (2 * lanes), i3 = i + (3 * lanes);
        return new WeightQuads(
            i < quads ? w4[rowQuad + i] : 0UL,
            i1 < quads ? w4[rowQuad + i1] : 0UL,
            i2 < quads ? w4[rowQuad + i2] : 0UL,
            i3 < quads ? w4[rowQuad + i3] : 0UL,
            normed && i < quads ? g4[i] : 0UL,
            normed && i1 < quads ? g4[i1] : 0UL,
            normed && i2 < quads ? g4[i2] : 0UL,
            normed && i3 < quads ? g4[i3] : 0UL,
            i,
            quads,
            lanes);
    }

    /// <summary>The quads times one token's x, whose float pairs start at pair <paramref name="xPair"/> of <paramref name="x2"/>.</summary>
    public DotAndSquares Dot(ArrayView<ulong> x2, int xPair, MatMulShape shape)
    {
        var sum = default(DotAndSquares);
        if (_i < _quads)
        {
            sum = Quad(x2, xPair + (2 * _i), _w0, _g0, shape);
        }

        if (_i + _lanes < _quads)
        {
            sum = sum.Add(Quad(x2, xPair + (2 * (_i + _lanes)), _w1, _g1, shape));
        }

        if (_i + (2 * _lanes) < _quads)
        {
            sum = sum.Add(Quad(x2, xPair + (2 * (_i + (2 * _lanes))), _w2, _g2, shape));
        }

        if (_i + (3 * _lanes) < _quads)
        {
            sum = sum.Add(Quad(x2, xPair + (2 * (_i + (3 * _lanes))), _w3, _g3, shape));
        }

        return sum;
    }

    private static DotAndSquares Quad(ArrayView<ulong> x2, int pair, ulong w, ulong g, MatMulShape shape)
    {
        ulong xa = x2[pair];
        ulong xb = x2[pair + 1];
        float x0 = Interop.IntAsFloat((uint)xa), x1 = Interop.IntAsFloat((uint)(xa >> 32));
        float x2v = Interop.IntAsFloat((uint)xb), x3 = Interop.IntAsFloat((uint)(xb >> 32));
        float w0 = WeightLoads.Widen((ushort)w, shape.WeightType), w1 = WeightLoads.Widen((ushort)(w >> 16), shape.WeightType);
        float w2 = WeightLoads.Widen((ushort)(w >> 32), shape.WeightType), w3 = WeightLoads.Widen((ushort)(w >> 48), shape.WeightType);
        if (shape.NormType != WeightType.None)
        {
            w0 *= WeightLoads.Widen((ushort)g, shape.NormType);
            w1 *= WeightLoads.Widen((ushort)(g >> 16), shape.NormType);
            w2 *= WeightLoads.Widen((ushort)(g >> 32), shape.NormType);
            w3 *= WeightLoads.Widen((ushort)(g >> 48), shape.NormType);
        }

        float dot = (x0 * w0) + (x1 * w1) + (x2v * w2) + (x3 * w3);
        float squares = (x0 * x0) + (x1 * x1) + (x2v * x2v) + (x3 * x3);
        return new DotAndSquares(dot, squares);
    }
}
