using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout, in place on a [tokens, heads · headDim] buffer,
/// with the angles' cosines and sines read from a <see cref="RopeTable"/> (frequency scaling, llama3 or linear, is
/// folded into the table's inverse frequencies by the caller).
/// </summary>
public static class RopeKernel
{
    /// <summary>The kernel (auto-grouped; one index per (token, head, j &lt; headDim/2)).</summary>
    public static void Run(Index1D index, ArrayView<float> values, ArrayView<int> positions, ArrayView<float> table, int heads, int headDim)
    {
        int half = headDim / 2;
        int perToken = heads * half;
        int token = index / perToken;
        int rest = index % perToken;
        int head = rest / half;
        int j = rest % half;
        int entry = 2 * ((positions[token] * half) + j);
        float c = table[entry];
        float s = table[entry + 1];
        int b = (token * heads * headDim) + (head * headDim) + j;
        float x1 = values[b];
        float x2 = values[b + half];
        values[b] = (x1 * c) - (x2 * s);
        values[b + half] = (x2 * c) + (x1 * s);
    }
}
