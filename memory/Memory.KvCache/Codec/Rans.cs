using System.Buffers.Binary;

namespace Memory.KvCache.Codec;

/// <summary>
/// Byte-wise rANS primitives (32-bit state, renormalised to [2^23, 2^31), 12-bit probabilities), after Fabian
/// Giesen's rans_byte: the encoder divides by reciprocal multiplication (exact, so the stream equals the textbook
/// one), runs backwards and ends with its state; the decoder starts from that state and must end in the initial one
/// having consumed every byte, which catches most damage even without the outer checksum.
/// </summary>
internal static class Rans
{
    // Shared with the device decoder (RansLaneDecodeKernel), which must renormalise exactly as this one does.
    public const int ScaleBits = Memory.Kernels.RansLaneDecodeKernel.ScaleBits;
    public const int Total = 1 << ScaleBits;
    public const uint LowerBound = Memory.Kernels.RansLaneDecodeKernel.LowerBound;
    public const uint SlotMask = Total - 1;

    /// <summary>A symbol's encoder constants: renormalisation bound, reciprocal of its frequency, bias.</summary>
    public readonly struct EncSymbol
    {
        public EncSymbol(uint start, uint frequency)
        {
            Max = ((LowerBound >> ScaleBits) << 8) * frequency;
            Complement = Total - frequency;
            if (frequency < 2)
            {
                Reciprocal = ~0u;
                Shift = 0;
                Bias = start + Total - 1;
            }
            else
            {
                int shift = 0;
                while (frequency > (1u << shift))
                {
                    shift++;
                }

                Reciprocal = (uint)(((1UL << (shift + 31)) + frequency - 1) / frequency);
                Shift = shift - 1;
                Bias = start;
            }
        }

        public uint Max { get; }

        public uint Reciprocal { get; }

        public int Shift { get; }

        public uint Bias { get; }

        public uint Complement { get; }
    }

    /// <summary>Encodes one symbol (the encoder runs from the last symbol to the first), writing bytes downwards.</summary>
    public static void Put(ref uint x, byte[] buffer, ref int p, in EncSymbol symbol)
    {
        while (x >= symbol.Max)
        {
            buffer[--p] = (byte)x;
            x >>= 8;
        }

        uint q = (uint)(((ulong)x * symbol.Reciprocal) >> 32) >> symbol.Shift;
        x += symbol.Bias + (q * symbol.Complement);
    }

    /// <summary>Writes the final state in front of the bytes and returns the stream.</summary>
    public static byte[] Finish(uint x, byte[] buffer, int p)
    {
        p -= 4;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(p), x);
        return buffer.AsSpan(p).ToArray();
    }

    /// <summary>Reads the state a stream starts with.</summary>
    public static uint Start(ReadOnlySpan<byte> data, out int p)
    {
        if (data.Length < 4)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"rANS stream of {data.Length} bytes has no state");
        }

        p = 4;
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    /// <summary>Advances past a decoded symbol of the given start and frequency.</summary>
    public static void Advance(ref uint x, uint slot, uint start, uint frequency, ReadOnlySpan<byte> data, ref int p)
    {
        x = (frequency * (x >> ScaleBits)) + slot - start;
        Renormalise(ref x, data, ref p);
    }

    /// <summary>Decodes <paramref name="count"/> ≤ 8 uniform bits.</summary>
    public static uint GetBits(ref uint x, int count, ReadOnlySpan<byte> data, ref int p)
    {
        int shift = ScaleBits - count;
        uint slot = x & SlotMask;
        x = ((x >> ScaleBits) << shift) + (slot & ((1u << shift) - 1));
        Renormalise(ref x, data, ref p);
        return slot >> shift;
    }

    /// <summary>Checks that a decoder ended where its encoder began.</summary>
    public static void End(uint x, int p, ReadOnlySpan<byte> data, string what)
    {
        if (x != LowerBound || p != data.Length)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{what} does not end where its symbols do");
        }
    }

    private static void Renormalise(ref uint x, ReadOnlySpan<byte> data, ref int p)
    {
        while (x < LowerBound)
        {
            if ((uint)p >= (uint)data.Length)
            {
                throw new KvCodecException(KvCodecError.Truncated, "rANS stream ends before its symbols");
            }

            x = (x << 8) | data[p++];
        }
    }
}
