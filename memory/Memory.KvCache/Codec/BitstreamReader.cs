using System.Buffers.Binary;

namespace Memory.KvCache.Codec;

/// <summary>Bounds-checked little-endian reads; running past the end is a <see cref="KvCodecError.Truncated"/> error.</summary>
internal ref struct BitstreamReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public BitstreamReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"{what} needs {count} bytes at offset {_position}; {Remaining} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    public byte U8(string what) => Take(1, what)[0];

    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));

    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    /// <summary>A LEB128 value of at most five bytes, not above <paramref name="max"/>.</summary>
    public int VarLength(string what, int max)
    {
        uint value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = U8(what);
            if (shift == 28 && b > 0x0F)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"{what} does not fit 32 bits");
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        if (value > (uint)max)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{what} of {value} exceeds {max}");
        }

        return (int)value;
    }

    public int Length(string what, int max)
    {
        uint value = U32(what);
        if (value > (uint)max)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{what} of {value} exceeds {max}");
        }

        return (int)value;
    }
}
