using System.Buffers.Binary;

namespace Memory.KvCache.Codec;

/// <summary>
/// Byte-wise rANS (32-bit state, 2^23 lower bound) over a stream whose symbol i uses model[i mod period]: the
/// per-channel statistics of a [tokens, channels] plane. Symbols are coded in reverse so they decode in order; the
/// decoder checks that it ends in the initial state and consumed every byte, so most corruption is caught even
/// without the outer checksum.
/// </summary>
internal static class RansCoder
{
    private const uint LowerBound = 1u << 23;

    /// <summary>Codes symbols[i] + offset (offset maps signed symbols to model indices).</summary>
    public static byte[] Encode(ReadOnlySpan<short> symbols, int offset, RansModel[] models)
    {
        int period = models.Length;
        var buffer = new byte[(symbols.Length * 2) + 16];
        int p = buffer.Length;
        uint x = LowerBound;
        for (int i = symbols.Length - 1; i >= 0; i--)
        {
            var model = models[i % period];
            int s = symbols[i] + offset;
            uint frequency = model.Frequencies[s];
            if (frequency == 0)
            {
                throw new InvalidOperationException($"symbol {symbols[i]} has no slot in its model");
            }

            uint max = ((LowerBound >> RansModel.ScaleBits) << 8) * frequency;
            while (x >= max)
            {
                buffer[--p] = (byte)x;
                x >>= 8;
            }

            x = ((x / frequency) << RansModel.ScaleBits) + (x % frequency) + model.Starts[s];
        }

        p -= 4;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(p), x);
        return buffer.AsSpan(p).ToArray();
    }

    /// <summary>Decodes symbols.Length symbols (minus offset) from data, which must be consumed exactly.</summary>
    public static void Decode(ReadOnlySpan<byte> data, int offset, RansModel[] models, Span<short> symbols)
    {
        if (data.Length < 4)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"rANS stream of {data.Length} bytes has no state");
        }

        int period = models.Length;
        uint x = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int p = 4;
        for (int i = 0; i < symbols.Length; i++)
        {
            var model = models[i % period];
            uint slot = x & (RansModel.Total - 1);
            int s = model.SlotToSymbol[slot];
            x = (model.Frequencies[s] * (x >> RansModel.ScaleBits)) + slot - model.Starts[s];
            while (x < LowerBound)
            {
                if (p >= data.Length)
                {
                    throw new KvCodecException(KvCodecError.Truncated, $"rANS stream ended after {i} of {symbols.Length} symbols");
                }

                x = (x << 8) | data[p++];
            }

            symbols[i] = (short)(s - offset);
        }

        if (x != LowerBound || p != data.Length)
        {
            throw new KvCodecException(KvCodecError.Malformed, "rANS stream does not end where its symbols do");
        }
    }
}
