using ILGPU;

namespace Memory.Kernels;

/// <summary>x[t, :] = E[ids[t], :] widened to fp32.</summary>
public static class EmbeddingKernel
{
    /// <summary>The kernel (auto-grouped; one index per (token, channel)).</summary>
    public static void Run(Index1D index, ArrayView<int> ids, ArrayView<ushort> table, int tableType, ArrayView<float> x, int dim)
    {
        int token = index / dim;
        int channel = index % dim;
        x[index] = WeightLoads.Load(table, (ids[token] * dim) + channel, tableType);
    }
}
