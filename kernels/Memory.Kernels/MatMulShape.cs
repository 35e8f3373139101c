namespace Memory.Kernels;

/// <summary>
/// The scalar arguments of <see cref="MatMulKernel"/> in one kernel parameter (ILGPU's stream-kernel launchers take at
/// most 15 parameters).
/// </summary>
/// <param name="Tokens">Rows of x.</param>
/// <param name="N">Output rows of the weight (all segments together).</param>
/// <param name="K">Inner dimension.</param>
/// <param name="WeightType">Encoding of the weight.</param>
/// <param name="BiasType">Encoding of the bias; <see cref="Kernels.WeightType.None"/> for none.</param>
/// <param name="NormType">
/// Encoding of the RMSNorm gain applied to x first; <see cref="Kernels.WeightType.None"/> for x as it is.
/// </param>
/// <param name="NormEps">The norm's epsilon.</param>
/// <param name="Accumulate">1: y += the product; 0: y = the product.</param>
/// <param name="PackedLoads">1: 8-byte weight and x loads (16-bit weights, K a multiple of four, aligned views).</param>
/// <param name="Segment1">First weight row of the second output segment (N when there is one segment).</param>
/// <param name="Segment2">First weight row of the third output segment (N when there are fewer).</param>
/// <param name="SliceLength">
/// <see cref="GemvKernel"/> and <see cref="FewTokenGemvKernel"/> only: K elements per group (a multiple of eight); K / SliceLength rounded up slices.
/// </param>
/// <param name="GatedInput">
/// <see cref="GemvKernel"/> and <see cref="FewTokenGemvKernel"/> only: 1 when x holds [gate; up] ([tokens, K] gates,
/// then as many ups) and the product is of silu(gate) · up.
/// </param>
public readonly record struct MatMulShape(
    int Tokens,
    int N,
    int K,
    int WeightType,
    int BiasType,
    int NormType,
    float NormEps,
    int Accumulate,
    int PackedLoads,
    int Segment1,
    int Segment2,
    int SliceLength = 0,
    int GatedInput = 0);
