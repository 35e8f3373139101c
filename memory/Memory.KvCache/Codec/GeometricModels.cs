using System.Collections.Concurrent;

namespace Memory.KvCache.Codec;

/// <summary>
/// The per-(layer, channel) statistics of quantised symbols, as one byte each: an index into a family of two-sided
/// geometric distributions p(q) ∝ θ^|q| over q ∈ [−levels, levels]. Quantised KV deltas are close to Laplacian, so a
/// fitted member codes within a few percent of the empirical entropy while costing one byte per channel instead of a
/// stored histogram (a 256-token block has too few symbols per channel to pay for one).
/// </summary>
internal static class GeometricModels
{
    /// <summary>Members of the family; θ = exp(−λ) with λ log-spaced over [<see cref="MinLambda"/>, <see cref="MaxLambda"/>].</summary>
    public const int Count = 64;

    private const double MinLambda = 0.01;
    private const double MaxLambda = 8.0;

    private static readonly ConcurrentDictionary<int, RansModel> Cache = new();

    public static double Lambda(int index) => MinLambda * Math.Pow(MaxLambda / MinLambda, index / (double)(Count - 1));

    /// <summary>The model of member <paramref name="index"/> over 2·levels+1 symbols (symbol = q + levels).</summary>
    public static RansModel Get(int levels, int index)
    {
        if (levels is < 1 or > 127 || index is < 0 or >= Count)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"no geometric model for levels {levels}, index {index}");
        }

        return Cache.GetOrAdd((levels << 8) | index, static (key) =>
        {
            int levels = key >> 8;
            double theta = Math.Exp(-Lambda(key & 0xFF));
            var weights = new double[(2 * levels) + 1];
            for (int q = -levels; q <= levels; q++)
            {
                // Floor keeps every symbol codable even in the steepest member.
                weights[q + levels] = Math.Max(Math.Pow(theta, Math.Abs(q)), 1e-12);
            }

            return RansModel.FromWeights(weights);
        });
    }

    /// <summary>The member that codes <paramref name="histogram"/> (over 2·levels+1 symbols) in the fewest bits.</summary>
    public static int Choose(ReadOnlySpan<int> histogram, int levels)
    {
        long count = 0;
        long magnitude = 0;
        for (int s = 0; s < histogram.Length; s++)
        {
            count += histogram[s];
            magnitude += (long)histogram[s] * Math.Abs(s - levels);
        }

        // Maximum-likelihood θ of a two-sided geometric from the mean magnitude m: θ = (√(1+m²) − 1) / m.
        double mean = count == 0 ? 0 : magnitude / (double)count;
        int guess = Count - 1;
        if (mean > 0)
        {
            double theta = (Math.Sqrt(1 + (mean * mean)) - 1) / mean;
            double lambda = -Math.Log(Math.Clamp(theta, 1e-9, 1 - 1e-9));
            guess = (int)Math.Round((Count - 1) * Math.Log(Math.Clamp(lambda, MinLambda, MaxLambda) / MinLambda) / Math.Log(MaxLambda / MinLambda));
        }

        int best = guess;
        double bestCost = double.PositiveInfinity;
        for (int index = Math.Max(0, guess - 3); index <= Math.Min(Count - 1, guess + 3); index++)
        {
            double cost = Get(levels, index).CostOf(histogram);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = index;
            }
        }

        return best;
    }
}
