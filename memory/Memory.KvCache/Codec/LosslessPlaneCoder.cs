using System.Buffers.Binary;

namespace Memory.KvCache.Codec;

/// <summary>
/// Lossless coding of one [tokens, channels] fp16 plane. Each value splits into its high byte (sign, exponent, top
/// two mantissa bits) and its low byte. The low bytes are close to uniform and are stored as they are; the high bytes
/// are rANS-coded with one table stored compactly (symbols present, 12-bit frequencies as LEB128), either as they are
/// or XORed with the same channel's high byte one token earlier, whichever the encoder counts as smaller. When coding
/// would not beat the raw 16 bits, the plane is stored raw, so a lossless section is never larger than fp16 plus its
/// one kind byte.
/// <code>
/// u8 kind 0: tokens·channels × u16 fp16 bits (little-endian)
/// u8 kind 2: u8 transform (0 plain, 1 XOR previous token) · u8 symbols − 1 · (u8 symbol, LEB128 frequency − 1)… ·
///            LEB128 payload length · rANS payload (high bytes) · tokens·channels low bytes
/// </code>
/// </summary>
internal static class LosslessPlaneCoder
{
    public const byte RawKind = 0;
    public const byte CodedKind = 2;
    private const int TableBits = Rans.ScaleBits;

    public static byte[] Encode(ReadOnlySpan<ushort> plane, int tokens, int channels)
    {
        Span<int> plain = stackalloc int[256];
        Span<int> xored = stackalloc int[256];
        plain.Clear();
        xored.Clear();
        for (int i = 0; i < plane.Length; i++)
        {
            int hi = plane[i] >> 8;
            plain[hi]++;
            xored[i >= channels ? hi ^ (plane[i - channels] >> 8) : hi]++;
        }

        int transform = Entropy(xored) < Entropy(plain) ? 1 : 0;
        var frequencies = Normalise(transform == 1 ? xored : plain);
        var symbols = new Rans.EncSymbol[256];
        uint start = 0;
        for (int v = 0; v < 256; v++)
        {
            symbols[v] = new Rans.EncSymbol(start, frequencies[v]);
            start += frequencies[v];
        }

        var buffer = new byte[(plane.Length * 2) + 8];
        int p = buffer.Length;
        uint x = Rans.LowerBound;
        for (int i = plane.Length - 1; i >= 0; i--)
        {
            int hi = plane[i] >> 8;
            if (transform == 1 && i >= channels)
            {
                hi ^= plane[i - channels] >> 8;
            }

            Rans.Put(ref x, buffer, ref p, in symbols[hi]);
        }

        var payload = Rans.Finish(x, buffer, p);
        var writer = new BitstreamWriter(payload.Length + plane.Length + 600);
        writer.U8(CodedKind);
        writer.U8((byte)transform);
        int present = frequencies.Count(f => f != 0);
        writer.U8((byte)(present - 1));
        for (int s = 0; s < 256; s++)
        {
            if (frequencies[s] != 0)
            {
                writer.U8((byte)s);
                writer.VarUInt(frequencies[s] - 1);
            }
        }

        writer.VarUInt((uint)payload.Length);
        writer.Bytes(payload);
        var low = writer.Reserve(plane.Length);
        for (int i = 0; i < plane.Length; i++)
        {
            low[i] = (byte)plane[i];
        }

        if (writer.Length >= (plane.Length * 2) + 1)
        {
            return Raw(plane);
        }

        return writer.ToArray();
    }

    public static void Decode(ReadOnlySpan<byte> section, int tokens, int channels, Span<ushort> plane)
    {
        var reader = new BitstreamReader(section);
        byte kind = reader.U8("section kind");
        if (kind == RawKind)
        {
            var raw = reader.Take(plane.Length * 2, "raw plane");
            if (reader.Remaining != 0)
            {
                throw new KvCodecException(KvCodecError.Malformed, "bytes after a raw section");
            }

            for (int i = 0; i < plane.Length; i++)
            {
                plane[i] = BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]);
            }

            return;
        }

        if (kind != CodedKind)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"lossless section kind {kind} is unknown");
        }

        int transform = reader.U8("transform");
        if (transform > 1)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"high-byte transform {transform} is unknown");
        }

        var frequencies = ReadTable(ref reader);
        int length = reader.VarLength("lossless payload length", reader.Remaining);
        var payload = reader.Take(length, "lossless payload");
        var low = reader.Take(plane.Length, "low bytes");
        if (reader.Remaining != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "bytes after a lossless section");
        }

        var starts = new uint[256];
        var slots = new byte[Rans.Total];
        uint start = 0;
        for (int v = 0; v < 256; v++)
        {
            starts[v] = start;
            slots.AsSpan((int)start, (int)frequencies[v]).Fill((byte)v);
            start += frequencies[v];
        }

        uint x = Rans.Start(payload, out int p);
        for (int i = 0; i < plane.Length; i++)
        {
            uint slot = x & Rans.SlotMask;
            int hi = slots[slot];
            Rans.Advance(ref x, slot, starts[hi], frequencies[hi], payload, ref p);
            if (transform == 1 && i >= channels)
            {
                hi ^= plane[i - channels] >> 8;
            }

            plane[i] = (ushort)((hi << 8) | low[i]);
        }

        Rans.End(x, p, payload, "lossless payload");
    }

    private static byte[] Raw(ReadOnlySpan<ushort> plane)
    {
        var result = new byte[1 + (plane.Length * 2)];
        result[0] = RawKind;
        for (int i = 0; i < plane.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(1 + (2 * i)), plane[i]);
        }

        return result;
    }

    private static double Entropy(ReadOnlySpan<int> counts)
    {
        long total = 0;
        foreach (int c in counts)
        {
            total += c;
        }

        double bits = 0;
        foreach (int c in counts)
        {
            if (c > 0)
            {
                bits -= c * Math.Log2(c / (double)total);
            }
        }

        return bits;
    }

    /// <summary>Counts to frequencies summing to 2^12, every counted symbol at least 1 (the largest takes the rounding).</summary>
    private static uint[] Normalise(ReadOnlySpan<int> counts)
    {
        long total = 0;
        int largest = 0;
        int present = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            total += counts[s];
            present += counts[s] > 0 ? 1 : 0;
            if (counts[s] > counts[largest])
            {
                largest = s;
            }
        }

        var frequencies = new uint[256];
        long spare = (1 << TableBits) - present;
        long used = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            if (counts[s] > 0)
            {
                frequencies[s] = 1 + (uint)(counts[s] * spare / total);
                used += frequencies[s];
            }
        }

        frequencies[largest] += (uint)((1 << TableBits) - used);
        return frequencies;
    }

    private static uint[] ReadTable(ref BitstreamReader reader)
    {
        int present = reader.U8("table size") + 1;
        var frequencies = new uint[256];
        int previous = -1;
        long sum = 0;
        for (int i = 0; i < present; i++)
        {
            int symbol = reader.U8("table symbol");
            if (symbol <= previous)
            {
                throw new KvCodecException(KvCodecError.Malformed, "byte table symbols out of order");
            }

            previous = symbol;
            frequencies[symbol] = (uint)reader.VarLength("table frequency", (1 << TableBits) - 1) + 1;
            sum += frequencies[symbol];
        }

        if (sum != 1 << TableBits)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"byte table frequencies sum to {sum}, not {1 << TableBits}");
        }

        return frequencies;
    }
}
