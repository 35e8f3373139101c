namespace Memory.KvCache.Codec;

/// <summary>
/// Lossless coding of one [tokens, channels] fp16 plane: each value splits into its high byte (sign, exponent, top
/// mantissa bits), XORed with the same channel's high byte one token earlier (neighbouring tokens share sign and
/// exponent), and its low byte; both byte streams are rANS-coded with tables stored in the section.
/// </summary>
internal static class LosslessPlaneCoder
{
    public static byte[] Encode(ReadOnlySpan<ushort> plane, int tokens, int channels)
    {
        var symbols = new short[plane.Length * 2];
        Span<int> hiCounts = stackalloc int[256];
        Span<int> loCounts = stackalloc int[256];
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < channels; c++)
            {
                int i = (t * channels) + c;
                int hi = plane[i] >> 8;
                if (t > 0)
                {
                    hi ^= plane[i - channels] >> 8;
                }

                int lo = plane[i] & 0xFF;
                symbols[2 * i] = (short)hi;
                symbols[(2 * i) + 1] = (short)lo;
                hiCounts[hi]++;
                loCounts[lo]++;
            }
        }

        var hiModel = Model(hiCounts);
        var loModel = Model(loCounts);
        var payload = RansCoder.Encode(symbols, 0, [hiModel, loModel]);
        var writer = new BitstreamWriter(payload.Length + 1100);
        WriteTable(writer, hiModel);
        WriteTable(writer, loModel);
        writer.U32((uint)payload.Length);
        writer.Bytes(payload);
        return writer.ToArray();
    }

    public static void Decode(ReadOnlySpan<byte> section, int tokens, int channels, Span<ushort> plane)
    {
        var reader = new BitstreamReader(section);
        var hiModel = ReadTable(ref reader);
        var loModel = ReadTable(ref reader);
        int length = reader.Length("lossless payload length", reader.Remaining);
        var payload = reader.Take(length, "lossless payload");
        if (reader.Remaining != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "bytes after a lossless section");
        }

        var symbols = new short[tokens * channels * 2];
        RansCoder.Decode(payload, 0, [hiModel, loModel], symbols);
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < channels; c++)
            {
                int i = (t * channels) + c;
                int hi = symbols[2 * i];
                if (t > 0)
                {
                    hi ^= plane[i - channels] >> 8;
                }

                plane[i] = (ushort)((hi << 8) | (symbols[(2 * i) + 1] & 0xFF));
            }
        }
    }

    private static RansModel Model(ReadOnlySpan<int> counts)
    {
        var weights = new double[256];
        for (int s = 0; s < 256; s++)
        {
            weights[s] = counts[s];
        }

        return RansModel.FromWeights(weights);
    }

    private static void WriteTable(BitstreamWriter writer, RansModel model)
    {
        int nonZero = model.Frequencies.Count(f => f != 0);
        writer.U16((ushort)nonZero);
        for (int s = 0; s < 256; s++)
        {
            if (model.Frequencies[s] != 0)
            {
                writer.U8((byte)s);
                writer.U16((ushort)(model.Frequencies[s] - 1));
            }
        }
    }

    private static RansModel ReadTable(ref BitstreamReader reader)
    {
        int nonZero = reader.U16("table size");
        if (nonZero is 0 or > 256)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"a byte table with {nonZero} symbols");
        }

        var frequencies = new uint[256];
        int previous = -1;
        for (int i = 0; i < nonZero; i++)
        {
            int symbol = reader.U8("table symbol");
            if (symbol <= previous)
            {
                throw new KvCodecException(KvCodecError.Malformed, "byte table symbols out of order");
            }

            previous = symbol;
            frequencies[symbol] = (uint)reader.U16("table frequency") + 1;
        }

        return RansModel.FromFrequencies(frequencies);
    }
}
