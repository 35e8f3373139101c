using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace Memory.Kernels;

/// <summary>
/// Four fp32 accumulators of one m16n8 tile, as the in/out operands of the inline mma: c0, c1 (X, Y) in row groupID,
/// columns 2·(lane % 4) and + 1; c2, c3 (Z, W) in row groupID + 8.
/// </summary>
internal struct MmaQuad
{
    public Ref<float> X;
    public Ref<float> Y;
    public Ref<float> Z;
    public Ref<float> W;

    /// <summary>Multiplies the upper row's pair by <paramref name="upper"/> and the lower row's by <paramref name="lower"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scale(float upper, float lower)
    {
        X.Value *= upper;
        Y.Value *= upper;
        Z.Value *= lower;
        W.Value *= lower;
    }
}
