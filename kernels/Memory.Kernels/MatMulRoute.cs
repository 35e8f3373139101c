namespace Memory.Kernels;

/// <summary>Which kernel <see cref="DecoderKernels.MatMul"/> runs a product with (see <see cref="DecoderKernels.RouteOf"/>).</summary>
public enum MatMulRoute
{
    /// <summary><see cref="MatMulKernel.RunPerThread"/>: one thread per output row and token tile (the CPU accelerator).</summary>
    PerThread,

    /// <summary><see cref="GemvKernel"/>: a single token.</summary>
    Gemv,

    /// <summary><see cref="FewTokenGemvKernel"/>: 2 to <see cref="FewTokenGemvKernel.MaxTokens"/> tokens per weight load.</summary>
    FewTokenGemv,

    /// <summary><see cref="MatMulKernel.Run"/>: one warp per output row and four-token tile.</summary>
    Warp,

    /// <summary><see cref="TiledMatMulKernel"/>: the FP32 shared-memory GEMM.</summary>
    Tiled,

    /// <summary><see cref="MmaMatMulKernel"/>: the tensor-core GEMM (CUDA, sm_80 or newer).</summary>
    TensorCores,
}
