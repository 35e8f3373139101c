using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout, in place on a [tokens, heads · headDim] buffer.
/// The angle is the fp32 product position · invFreq[j] (as transformers computes it); its cosine and sine are taken in
/// double precision, because GPU fast-math cosines lose accuracy for the large angles of long contexts. Frequency
/// scaling (llama3, linear) is folded into <c>invFreq</c> by the caller.
/// </summary>
public static class RopeKernel
{
    /// <summary>The kernel (auto-grouped; one index per (token, head, j &lt; headDim/2)).</summary>
    public static void Run(Index1D index, ArrayView<float> values, ArrayView<int> positions, ArrayView<float> invFreq, int heads, int headDim)
    {
        int half = headDim / 2;
        int perToken = heads * half;
        int token = index / perToken;
        int rest = index % perToken;
        int head = rest / half;
        int j = rest % half;
        float angle = positions[token] * invFreq[j];
        float c = (float)Math.Cos(angle);
        float s = (float)Math.Sin(angle);
        int b = (token * heads * headDim) + (head * headDim) + j;
        float x1 = values[b];
        float x2 = values[b + half];
        values[b] = (x1 * c) - (x2 * s);
        values[b + half] = (x2 * c) + (x1 * s);
    }
}
