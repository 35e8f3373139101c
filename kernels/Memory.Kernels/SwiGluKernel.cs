using ILGPU;

namespace Memory.Kernels;

/// <summary>gate[i] = silu(gate[i]) · up[i], in place (the SwiGLU MLP's activation).</summary>
public static class SwiGluKernel
{
    /// <summary>The kernel (auto-grouped; one index per element).</summary>
    public static void Run(Index1D index, ArrayView<float> gate, ArrayView<float> up)
    {
        gate[index] = Gated(gate[index], up[index]);
    }

    /// <summary>silu(g) · u, the one definition the fused products use too.</summary>
    public static float Gated(float g, float u) => g / (1f + MathF.Exp(-g)) * u;
}
