using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Row-wise log-softmax, y[r, i] = x[r, i] − max − log Σ exp(x − max), one group per row. Used for token surprise
/// (−log p) and exposed probabilities; sampling has its own fused softmax.
/// </summary>
public static class LogSoftmaxKernel
{
    /// <summary>The kernel (explicitly grouped; grid = rows).</summary>
    public static void Run(ArrayView<float> x, ArrayView<float> y, int width)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        int b = Grid.IdxX * width;
        float localMax = float.NegativeInfinity;
        for (int i = Group.IdxX; i < width; i += Group.DimX)
        {
            localMax = MathF.Max(localMax, x[b + i]);
        }

        float max = GroupReductions.Max(localMax, scratch);
        float localSum = 0f;
        for (int i = Group.IdxX; i < width; i += Group.DimX)
        {
            localSum += MathF.Exp(x[b + i] - max);
        }

        float logSum = MathF.Log(GroupReductions.Sum(localSum, scratch));
        for (int i = Group.IdxX; i < width; i += Group.DimX)
        {
            y[b + i] = x[b + i] - max - logSum;
        }
    }
}
