namespace Memory.Kernels;

/// <summary>Static sizes the explicitly grouped kernels are compiled for.</summary>
public static class KernelLimits
{
    /// <summary>Largest group size a launcher uses (shared arrays are sized for it).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Largest attention head dimension (the query is staged in shared memory).</summary>
    public const int MaxHeadDim = 256;

    /// <summary>Head dimensions each attention thread accumulates at most; headDim ≤ 4 · group size.</summary>
    public const int AttentionDimsPerThread = 4;
}
