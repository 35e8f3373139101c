using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// The fixed family of symbol distributions the quantised planes are coded with, so that no statistics need to be
/// stored: a residual s is zigzagged to u ≥ 0; u &lt; 16 is its own token, a larger u is the token of its bit
/// length (5..16) followed by its bits below the leading one, sent as uniform chunks of at most 8 bits. Each of the
/// <see cref="Classes"/> models is a two-sided geometric p(s) ∝ θ^|s| whose mean |s| is the class's; the coder picks
/// the class from a running estimate of the mean |s| of what it has already coded (backward adaptation, as in
/// LOCO-I), so the rate adapts per channel with zero side information. Frequencies sum to 2^<see cref="ScaleBits"/>.
/// The tables are part of the format: changing them changes what every stream decodes to.
/// </summary>
internal static class ResidualModels
{
    public const int ScaleBits = Rans.ScaleBits;
    public const int Total = 1 << ScaleBits;
    // The device decoder (RansLaneDecodeKernel) reads the same tables, so the token layout is defined once, there.
    public const int DirectTokens = RansLaneDecodeKernel.DirectTokens;
    public const int MaxBits = RansLaneDecodeKernel.MaxBits;
    public const int Tokens = RansLaneDecodeKernel.Tokens;
    public const int Classes = 32;

    /// <summary>Estimates are 16 × mean |s|, an exponential moving average with weight 2^-<see cref="EstimateShift"/>.</summary>
    public const int EstimateShift = KvGridPredictor.EstimateShift;
    public const int EstimateCap = KvResidualKernel.EstimateCap;
    private const int ClassesPerOctave = 3;

    /// <summary>Frequency of token t in class k at [k · Tokens + t].</summary>
    public static readonly ushort[] Frequencies = new ushort[Classes * Tokens];

    /// <summary>Cumulative start of token t in class k at [k · Tokens + t].</summary>
    public static readonly ushort[] Starts = new ushort[Classes * Tokens];

    /// <summary>Index in <see cref="EncSymbols"/> of the first uniform-bits symbol (see <see cref="UniformSymbol"/>).</summary>
    public const int UniformSymbols = Classes * Tokens;

    /// <summary>
    /// Encoder constants of token t in class k at [k · Tokens + t], then of every chunk of 1..8 uniform bits: a chunk of
    /// n bits of value b is a symbol of frequency 2^(12−n) starting at b · 2^(12−n): the rANS step then writes exactly the
    /// uniform bits <see cref="Rans.GetBits"/> reads back, so the encoder codes tokens and raw bits through one
    /// branch-free path.
    /// </summary>
    public static readonly Rans.EncSymbol[] EncSymbols = new Rans.EncSymbol[UniformSymbols + (1 << 9) - 2];

    /// <summary>Token of slot x in class k at [k · Total + x].</summary>
    public static readonly byte[] SlotTokens = new byte[Classes * Total];

    /// <summary>Class of each estimate 0..<see cref="EstimateCap"/>.</summary>
    public static readonly byte[] ClassTable = new byte[EstimateCap + 1];

    static ResidualModels()
    {
        for (int e = 0; e < ClassTable.Length; e++)
        {
            // Class k covers mean |s| in [2^(k/3) − 1, 2^((k+1)/3) − 1).
            double mean = (e + 0.5) / 16.0;
            ClassTable[e] = (byte)Math.Clamp((int)Math.Floor(ClassesPerOctave * Math.Log2(1 + mean)), 0, Classes - 1);
        }

        var weights = new double[Tokens];
        for (int k = 0; k < Classes; k++)
        {
            double mean = Math.Pow(2, (k + 0.5) / ClassesPerOctave) - 1;
            double theta = mean <= 0 ? 1e-6 : (Math.Sqrt(1 + (mean * mean)) - 1) / mean;
            Array.Clear(weights);
            for (int t = 0; t < DirectTokens; t++)
            {
                weights[t] = Math.Pow(theta, (t + 1) / 2);
            }

            for (int bits = 5; bits <= MaxBits; bits++)
            {
                // u in [2^(bits−1), 2^bits) covers |s| from 2^(bits−2) to 2^(bits−1), each value twice (both signs).
                double low = Math.Pow(2, bits - 2);
                double count = low;
                weights[TokenOfBits(bits)] = 2 * Math.Pow(theta, low) * (1 - Math.Pow(theta, count)) / (1 - theta);
            }

            Normalise(weights, Frequencies.AsSpan(k * Tokens, Tokens));
            ushort start = 0;
            for (int t = 0; t < Tokens; t++)
            {
                Starts[(k * Tokens) + t] = start;
                EncSymbols[(k * Tokens) + t] = new Rans.EncSymbol(start, Frequencies[(k * Tokens) + t]);
                for (int slot = start; slot < start + Frequencies[(k * Tokens) + t]; slot++)
                {
                    SlotTokens[(k * Total) + slot] = (byte)t;
                }

                start += Frequencies[(k * Tokens) + t];
            }
        }

        for (int count = 1; count <= 8; count++)
        {
            uint frequency = 1u << (ScaleBits - count);
            for (uint bits = 0; bits < 1u << count; bits++)
            {
                EncSymbols[UniformSymbol(bits, count)] = new Rans.EncSymbol(bits * frequency, frequency);
            }
        }
    }

    /// <summary>Index in <see cref="EncSymbols"/> of <paramref name="count"/> (1..8) uniform bits of value <paramref name="bits"/>.</summary>
    public static int UniformSymbol(uint bits, int count) => UniformSymbols + (1 << count) - 2 + (int)bits;

    /// <summary>The class for a running estimate (16 × mean |s|).</summary>
    public static int ClassOf(int estimate) => ClassTable[Math.Clamp(estimate, 0, EstimateCap)];

    /// <summary>The estimate after coding a residual of magnitude <paramref name="magnitude"/>.</summary>
    public static int Update(int estimate, int magnitude) => KvGridPredictor.UpdateEstimate(estimate, magnitude);

    /// <summary>The token of a bit length 5..16.</summary>
    public static int TokenOfBits(int bits) => DirectTokens + bits - 5;

    /// <summary>Bit length of a token ≥ <see cref="DirectTokens"/>.</summary>
    public static int BitsOfToken(int token) => token - DirectTokens + 5;

    /// <summary>Normalises to <see cref="Total"/> with every token at least one slot (largest weight takes the rounding).</summary>
    private static void Normalise(ReadOnlySpan<double> weights, Span<ushort> frequencies)
    {
        double sum = 0;
        int largest = 0;
        for (int t = 0; t < weights.Length; t++)
        {
            sum += weights[t];
            if (weights[t] > weights[largest])
            {
                largest = t;
            }
        }

        int spare = Total - weights.Length;
        int used = 0;
        for (int t = 0; t < weights.Length; t++)
        {
            frequencies[t] = (ushort)(1 + (int)Math.Floor(weights[t] / sum * spare));
            used += frequencies[t];
        }

        frequencies[largest] = (ushort)(frequencies[largest] + Total - used);
    }
}
