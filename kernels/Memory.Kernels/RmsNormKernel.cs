using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// y[r, :] = x[rows[r], :] / sqrt(mean(x[rows[r], :]²) + eps) · w, one group per output row. The row map lets the
/// final norm run only on the rows whose logits are wanted (the last token of each sequence).
/// </summary>
public static class RmsNormKernel
{
    /// <summary>The kernel (explicitly grouped; grid = output rows).</summary>
    public static void Run(
        ArrayView<float> x,
        ArrayView<int> rows,
        int useRowMap,
        ArrayView<ushort> w,
        int wType,
        ArrayView<float> y,
        int dim,
        float eps)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        int outRow = Grid.IdxX;
        int inRow = useRowMap != 0 ? rows[outRow] : outRow;
        int inBase = inRow * dim;
        float squares = 0f;
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            float v = x[inBase + i];
            squares += v * v;
        }

        float total = GroupReductions.Sum(squares, scratch);
        float inverse = 1f / MathF.Sqrt((total / dim) + eps);
        int outBase = outRow * dim;
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            y[outBase + i] = x[inBase + i] * inverse * WeightLoads.Load(w, i, wType);
        }
    }
}
