using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// A partial dot product of one token's x with a weight row, and the partial sum of x² an RMSNorm of x needs: one pass
/// over x yields both, so the norm can be applied to the finished product.
/// </summary>
internal readonly struct DotAndSquares(float dot, float squares)
{
    public float Dot { get; } = dot;

    public float Squares { get; } = squares;

    public DotAndSquares Add(float x, float weight) => new(Dot + (x * weight), Squares + (x * x));

    public DotAndSquares Add(DotAndSquares other) => new(Dot + other.Dot, Squares + other.Squares);

    /// <summary>The finished (normed) product of this thread alone.</summary>
    public float Total(MatMulShape shape) =>
        shape.NormType == WeightType.None ? Dot : Dot / MathF.Sqrt((Squares / shape.K) + shape.NormEps);

    /// <summary>The finished (normed) product over the warp, on every lane.</summary>
    public float WarpTotal(MatMulShape shape)
    {
        float dot = GroupReductions.WarpSum(Dot);
        if (shape.NormType == WeightType.None)
        {
            return dot;
        }

        float squares = GroupReductions.WarpSum(Squares);
        return dot / MathF.Sqrt((squares / shape.K) + shape.NormEps);
    }
}
