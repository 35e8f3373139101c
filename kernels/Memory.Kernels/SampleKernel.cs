using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Picks the next token of each sequence from its logits row, one group per row.
/// Semantics (the C# reference in the tests implements the same):
/// <list type="bullet">
/// <item>temperature ≤ 0: greedy, the lowest index among the maximal logits;</item>
/// <item>otherwise with d_i = max − x_i (fp32) and weight e_i = exp(−d_i / temperature): top-k keeps the tokens with
/// d_i ≤ the k-th smallest d (ties at the boundary are kept; k ≤ 0 turns it off); top-p then keeps the tokens with
/// d_i ≤ D for the smallest D whose kept weight is at least p times the top-k weight (p ≥ 1 turns it off);</item>
/// <item>the token is the first, in vocabulary order, at which the running kept weight exceeds uniform · kept weight,
/// with the uniform in [0, 1) supplied per row by the caller (a seeded generator on the host).</item>
/// </list>
/// Thresholds are found by bisection over the bit patterns of non-negative floats (their order is the order of the
/// values), so no sort is needed and the kept set is exact.
/// </summary>
public static class SampleKernel
{
    private const uint InfinityBits = 0x7F800000u;

    /// <summary>The kernel (explicitly grouped; grid = rows), after <see cref="ArgMaxKernel.Partials"/> on the same logits.</summary>
    public static void Run(
        ArrayView<float> logits,
        ArrayView<float> temperatures,
        ArrayView<int> topKs,
        ArrayView<float> topPs,
        ArrayView<float> uniforms,
        ArrayView<int> tokens,
        ArrayView<float> partialValues,
        ArrayView<int> partialIndices,
        int vocab)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var bestValues = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var bestIndices = SharedMemory.Allocate<int>(GroupReductions.ScratchSize);
        var chunkSums = SharedMemory.Allocate<float>(KernelLimits.MaxGroupSize);
        int row = Grid.IdxX;
        int tid = Group.IdxX;
        int g = Group.DimX;
        int b = row * vocab;

        // The row's arg-max from ArgMaxKernel's partials.
        int chunks = ArgMaxKernel.Chunks(vocab);
        var candidate = ArgMax.None;
        for (int c = tid; c < chunks; c += g)
        {
            candidate = candidate.With(partialValues[(row * chunks) + c], partialIndices[(row * chunks) + c]);
        }

        var top = GroupReductions.ArgMax(candidate, bestValues, bestIndices);
        float best = top.Value;
        int bestIndex = top.Index;
        float temperature = temperatures[row];
        if (temperature <= 0f)
        {
            if (tid == 0)
            {
                tokens[row] = bestIndex;
            }

            return;
        }

        float inverseTemperature = 1f / temperature;
        int topK = topKs[row];
        uint limitBits = InfinityBits;
        if (topK > 0 && topK < vocab)
        {
            uint lo = 0u, hi = InfinityBits;
            while (lo < hi)
            {
                uint mid = lo + ((hi - lo) / 2u);
                float count = GroupReductions.Sum(CountWithin(logits, b, vocab, best, Interop.IntAsFloat(mid)), scratch);
                if (count >= topK)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1u;
                }
            }

            limitBits = hi;
        }

        float topP = topPs[row];
        if (topP < 1f)
        {
            float kept = GroupReductions.Sum(WeightWithin(logits, b, vocab, best, Interop.IntAsFloat(limitBits), inverseTemperature), scratch);
            float needed = topP * kept;
            uint lo = 0u, hi = limitBits;
            while (lo < hi)
            {
                uint mid = lo + ((hi - lo) / 2u);
                float mass = GroupReductions.Sum(WeightWithin(logits, b, vocab, best, Interop.IntAsFloat(mid), inverseTemperature), scratch);
                if (mass >= needed)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1u;
                }
            }

            limitBits = hi;
        }

        float limit = Interop.IntAsFloat(limitBits);
        int chunk = (vocab + g - 1) / g;
        int start = Math.Min(vocab, tid * chunk);
        int end = Math.Min(vocab, start + chunk);
        float local = 0f;
        for (int i = start; i < end; i++)
        {
            float d = best - logits[b + i];
            if (d <= limit)
            {
                local += MathF.Exp(-d * inverseTemperature);
            }
        }

        chunkSums[tid] = local;
        Group.Barrier();
        if (tid == 0)
        {
            float total = 0f;
            for (int c = 0; c < g; c++)
            {
                total += chunkSums[c];
            }

            float target = uniforms[row] * total;
            float running = 0f;
            int chosen = bestIndex;
            bool found = false;
            for (int c = 0; c < g && !found; c++)
            {
                if (running + chunkSums[c] <= target)
                {
                    running += chunkSums[c];
                    continue;
                }

                int cEnd = Math.Min(vocab, (c * chunk) + chunk);
                for (int i = c * chunk; i < cEnd; i++)
                {
                    float d = best - logits[b + i];
                    if (d <= limit)
                    {
                        running += MathF.Exp(-d * inverseTemperature);
                        if (running > target)
                        {
                            chosen = i;
                            found = true;
                            break;
                        }
                    }
                }
            }

            tokens[row] = chosen;
        }
    }

    private static float CountWithin(ArrayView<float> logits, int b, int vocab, float best, float limit)
    {
        float count = 0f;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            if (best - logits[b + i] <= limit)
            {
                count += 1f;
            }
        }

        return count;
    }

    private static float WeightWithin(ArrayView<float> logits, int b, int vocab, float best, float limit, float inverseTemperature)
    {
        float mass = 0f;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            float d = best - logits[b + i];
            if (d <= limit)
            {
                mass += MathF.Exp(-d * inverseTemperature);
            }
        }

        return mass;
    }
}
