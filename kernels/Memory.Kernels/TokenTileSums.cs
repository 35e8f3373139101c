using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The running sums of one weight row against the (up to) <see cref="MatMulKernel.TokenTile"/> tokens of a tile, and
/// their stores: shared by <see cref="MatMulKernel"/>'s warp and thread-per-item variants.
/// </summary>
internal readonly struct TokenTileSums(DotAndSquares s0, DotAndSquares s1, DotAndSquares s2, DotAndSquares s3)
{
    private readonly DotAndSquares _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3;

    /// <summary>Adds x[index + t · k] · weight for the tile's first <paramref name="valid"/> tokens t.</summary>
    public TokenTileSums Add(ArrayView<float> x, int index, int k, int valid, float weight) => new(
        _s0.Add(x[index], weight),
        valid > 1 ? _s1.Add(x[index + k], weight) : _s1,
        valid > 2 ? _s2.Add(x[index + (2 * k)], weight) : _s2,
        valid > 3 ? _s3.Add(x[index + (3 * k)], weight) : _s3);

    /// <summary>Adds the quads times each valid token's x, whose float pairs start at pair xq + t · stride.</summary>
    public TokenTileSums Add(WeightQuads quad, ArrayView<ulong> x2, int xq, int stride, int valid, MatMulShape shape) => new(
        _s0.Add(quad.Dot(x2, xq, shape)),
        valid > 1 ? _s1.Add(quad.Dot(x2, xq + stride, shape)) : _s1,
        valid > 2 ? _s2.Add(quad.Dot(x2, xq + (2 * stride), shape)) : _s2,
        valid > 3 ? _s3.Add(quad.Dot(x2, xq + (3 * stride), shape)) : _s3);

    /// <summary>Reduces over the warp (every lane must call) and stores from lane 0.</summary>
    public void StoreFromWarp(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int t0, int row, int valid)
    {
        float r0 = _s0.WarpTotal(shape), r1 = _s1.WarpTotal(shape), r2 = _s2.WarpTotal(shape), r3 = _s3.WarpTotal(shape);
        if (Warp.LaneIdx == 0)
        {
            Store(y, bias, shape, t0, row, valid, r0, r1, r2, r3);
        }
    }

    /// <summary>Stores this thread's own sums.</summary>
    public void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int t0, int row, int valid) =>
        Store(y, bias, shape, t0, row, valid, _s0.Total(shape), _s1.Total(shape), _s2.Total(shape), _s3.Total(shape));

    private static void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int t0, int row, int valid, float r0, float r1, float r2, float r3)
    {
        float b = shape.BiasType == WeightType.None ? 0f : WeightLoads.Load(bias, row, shape.BiasType);
        MatMulKernel.Store(y, shape, t0, row, r0 + b);
        if (valid > 1)
        {
            MatMulKernel.Store(y, shape, t0 + 1, row, r1 + b);
        }

        if (valid > 2)
        {
            MatMulKernel.Store(y, shape, t0 + 2, row, r2 + b);
        }

        if (valid > 3)
        {
            MatMulKernel.Store(y, shape, t0 + 3, row, r3 + b);
        }
    }
}
