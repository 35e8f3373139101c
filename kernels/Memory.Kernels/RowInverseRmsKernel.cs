using ILGPU;

namespace Memory.Kernels;

/// <summary>inverse[t] = 1 / √(mean(x[t, :]²) + ε), one group per row: the RMSNorm factor <see cref="TiledMatMulKernel"/> applies.</summary>
public static class RowInverseRmsKernel
{
    /// <summary>The kernel (explicitly grouped; grid = rows).</summary>
    public static void Run(ArrayView<float> x, ArrayView<float> inverse, int dim, float eps)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        int b = Grid.IdxX * dim;
        float squares = 0f;
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            float v = x[b + i];
            squares += v * v;
        }

        float total = GroupReductions.Sum(squares, scratch);
        if (Group.IdxX == 0)
        {
            inverse[Grid.IdxX] = 1f / MathF.Sqrt((total / dim) + eps);
        }
    }
}
