using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// What the K-sliced products <see cref="GemvKernel"/> (one token, staged by the whole group) and
/// <see cref="FewTokenGemvKernel"/> (a tile of tokens, one staged per warp) share: the staging of x̂, the norm's scale
/// and the last slice's arrival. Written so that the single-token kernel inlines to the PTX it had before they were
/// shared (checked by compiling both versions offline).
/// </summary>
internal static class SlicedGemv
{
    /// <summary>
    /// x̂ of one token's K elements [first, first + length) into shared memory, four at a time, without the norm's 1/rms
    /// factor, by the whole group or (<paramref name="byWarp"/>) by the calling warp alone; returns this thread's share of
    /// Σx² over the slice (0 without a norm). Ends before any barrier: the caller's reduction or barrier follows.
    /// </summary>
    /// <param name="token">The token's row of x.</param>
    /// <param name="tokens">Rows of x (gated input: the gates of all tokens come before the ups).</param>
    /// <param name="byWarp">A compile-time constant: which threads share the staging.</param>
    /// <param name="half">
    /// 0: each oct's two quads staged side by side; otherwise the octs' low quads first and their high quads
    /// <paramref name="half"/> Float4s later, so that lanes reading one oct each read consecutive Float4s (side by side,
    /// a 32-byte stride, two lanes of each eight share banks: every 16-byte shared load takes two passes).
    /// </param>
    public static float Stage(ArrayView<float> x, ArrayView<ushort> norm, ArrayView<Float4> xs, MatMulShape shape, int first, int length, int token, int tokens, bool byWarp, int half)
    {
        var x4 = x.Cast<Float4>();
        var g4 = norm.Cast<ulong>();
        bool gated = shape.GatedInput != 0;
        bool normed = shape.NormType != WeightType.None;
        int quads = length / 4;
        int gain = first / 4;
        int up = tokens * shape.K / 4;
        int row = token * shape.K / 4;
        float squares = 0f;
        for (int i = byWarp ? Warp.LaneIdx : Group.IdxX; i < quads; i += byWarp ? Warp.WarpSize : Group.DimX)
        {
            var v = x4[row + gain + i];
            if (gated)
            {
                var u = x4[up + row + gain + i];
                v = new Float4(SwiGluKernel.Gated(v.X, u.X), SwiGluKernel.Gated(v.Y, u.Y), SwiGluKernel.Gated(v.Z, u.Z), SwiGluKernel.Gated(v.W, u.W));
            }
            else if (normed)
            {
                ulong g = g4[gain + i];
                squares += ((v.X * v.X) + (v.Y * v.Y)) + ((v.Z * v.Z) + (v.W * v.W));
                int type = shape.NormType;
                v = new Float4(
                    v.X * WeightLoads.Widen((ushort)g, type),
                    v.Y * WeightLoads.Widen((ushort)(g >> 16), type),
                    v.Z * WeightLoads.Widen((ushort)(g >> 32), type),
                    v.W * WeightLoads.Widen((ushort)(g >> 48), type));
            }

            xs[half == 0 ? i : ((i & 1) * half) + (i >> 1)] = v;
        }

        return squares;
    }

    /// <summary>1/rms from the sum of squares over all of K with a norm; 1 without.</summary>
    public static float Scale(float squares, MatMulShape shape) =>
        shape.NormType != WeightType.None ? 1f / MathF.Sqrt((squares / shape.K) + shape.NormEps) : 1f;

    /// <summary>
    /// Counts the group in at <paramref name="counter"/> once its partial sums are visible device-wide (the classic
    /// threadfence reduction); returns, to every thread, 1 if it was the last of the <paramref name="slices"/> groups to
    /// arrive (which then fences again and reads all the others' partials) and 0 if not. Every thread must call.
    /// </summary>
    /// <param name="last">One shared int.</param>
    public static int Arrive(ArrayView<int> arrivals, int counter, int slices, ArrayView<int> last)
    {
        MemoryFence.DeviceLevel();
        Group.Barrier();
        if (Group.IdxX == 0)
        {
            last[0] = Atomic.Add(ref arrivals[counter], 1) == slices - 1 ? 1 : 0;
        }

        Group.Barrier();
        return last[0];
    }
}
