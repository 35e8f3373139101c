namespace Memory.KvCache.Codec;

/// <summary>
/// A static symbol distribution for rANS: frequencies summing to 2^<see cref="ScaleBits"/>, their cumulative starts,
/// a slot-to-symbol table for decoding and each symbol's cost in bits for model selection.
/// </summary>
internal sealed class RansModel
{
    public const int ScaleBits = 15;
    public const int Total = 1 << ScaleBits;

    private RansModel(uint[] frequencies)
    {
        Frequencies = frequencies;
        Starts = new uint[frequencies.Length];
        SlotToSymbol = new ushort[Total];
        Cost = new float[frequencies.Length];
        uint start = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            Starts[s] = start;
            for (uint slot = start; slot < start + frequencies[s]; slot++)
            {
                SlotToSymbol[slot] = (ushort)s;
            }

            start += frequencies[s];
            Cost[s] = frequencies[s] == 0 ? float.PositiveInfinity : ScaleBits - MathF.Log2(frequencies[s]);
        }

        if (start != Total)
        {
            throw new InvalidOperationException($"frequencies sum to {start}, not {Total}");
        }
    }

    public uint[] Frequencies { get; }

    public uint[] Starts { get; }

    public ushort[] SlotToSymbol { get; }

    /// <summary>−log2 p(symbol) in bits.</summary>
    public float[] Cost { get; }

    public int Symbols => Frequencies.Length;

    /// <summary>
    /// Normalises non-negative weights; a symbol with weight zero gets frequency zero (it cannot be coded), any other
    /// at least one slot. At most <see cref="Total"/> symbols.
    /// </summary>
    public static RansModel FromWeights(ReadOnlySpan<double> weights)
    {
        if (weights.Length is 0 or > Total)
        {
            throw new ArgumentException($"a model needs 1 to {Total} symbols, got {weights.Length}");
        }

        double sum = 0;
        int nonZero = 0;
        int largest = 0;
        for (int s = 0; s < weights.Length; s++)
        {
            if (weights[s] < 0 || double.IsNaN(weights[s]))
            {
                throw new ArgumentException("weights must be non-negative");
            }

            if (weights[s] > 0)
            {
                sum += weights[s];
                nonZero++;
                if (weights[s] > weights[largest])
                {
                    largest = s;
                }
            }
        }

        if (nonZero == 0)
        {
            throw new ArgumentException("at least one weight must be positive");
        }

        var frequencies = new uint[weights.Length];
        long spare = Total - nonZero;
        long used = 0;
        for (int s = 0; s < weights.Length; s++)
        {
            if (weights[s] > 0)
            {
                frequencies[s] = 1 + (uint)Math.Floor(weights[s] / sum * spare);
                used += frequencies[s];
            }
        }

        frequencies[largest] += (uint)(Total - used);
        return new RansModel(frequencies);
    }

    /// <summary>Rebuilds a model from stored frequencies; anything that does not sum to <see cref="Total"/> is malformed.</summary>
    public static RansModel FromFrequencies(uint[] frequencies)
    {
        long sum = 0;
        foreach (uint f in frequencies)
        {
            sum += f;
        }

        if (sum != Total)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"symbol frequencies sum to {sum}, not {Total}");
        }

        return new RansModel(frequencies);
    }

    /// <summary>Bits to code a histogram with this model (infinity when a counted symbol has no slot).</summary>
    public double CostOf(ReadOnlySpan<int> histogram)
    {
        double bits = 0;
        for (int s = 0; s < histogram.Length; s++)
        {
            if (histogram[s] != 0)
            {
                bits += histogram[s] * (double)Cost[s];
            }
        }

        return bits;
    }
}
