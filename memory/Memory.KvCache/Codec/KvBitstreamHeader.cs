using System.IO.Hashing;

namespace Memory.KvCache.Codec;

/// <summary>
/// The self-describing front of a KV bitstream: "MKVC", version, mode, dimensions and quantiser parameters; the
/// stream ends with an XxHash3-64 of everything before it. Limits keep a hostile header from asking for huge buffers.
/// </summary>
internal sealed record KvBitstreamHeader(bool Quantized, int Layers, int Tokens, int Channels, int GroupSize, int AnchorLevels, byte[] Levels)
{
    public const byte Version = 1;
    public const int ChecksumBytes = 8;
    public const int FixedBytes = 16;
    public const long MaxElements = 1L << 28;

    public static ReadOnlySpan<byte> Magic => "MKVC"u8;

    public void Write(BitstreamWriter writer)
    {
        writer.Bytes(Magic);
        writer.U8(Version);
        writer.U8(Quantized ? (byte)1 : (byte)0);
        writer.U16((ushort)Layers);
        writer.U16((ushort)Tokens);
        writer.U16((ushort)Channels);
        writer.U8((byte)GroupSize);
        writer.U8((byte)AnchorLevels);
        writer.U16(0);
        if (Quantized)
        {
            writer.Bytes(Levels);
        }
    }

    /// <summary>Checks magic, version and checksum, then parses the header; the reader is left after it.</summary>
    public static KvBitstreamHeader Read(ReadOnlySpan<byte> data, out int bodyStart)
    {
        if (data.Length < Magic.Length || !data[..Magic.Length].SequenceEqual(Magic))
        {
            throw new KvCodecException(data.Length < Magic.Length ? KvCodecError.Truncated : KvCodecError.BadMagic, "not a KV bitstream (magic MKVC expected)");
        }

        if (data.Length < FixedBytes + ChecksumBytes)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"KV bitstream of {data.Length} bytes is shorter than its header");
        }

        if (data[4] != Version)
        {
            throw new KvCodecException(KvCodecError.UnsupportedVersion, $"KV bitstream version {data[4]}; this build reads version {Version}");
        }

        var body = data[..^ChecksumBytes];
        ulong stored = BitConverter.ToUInt64(data[^ChecksumBytes..]);
        if (XxHash3.HashToUInt64(body) != stored)
        {
            throw new KvCodecException(KvCodecError.ChecksumMismatch, "KV bitstream checksum does not match its contents");
        }

        var reader = new BitstreamReader(body);
        reader.Take(5, "magic and version");
        byte mode = reader.U8("mode");
        int layers = reader.U16("layers");
        int tokens = reader.U16("tokens");
        int channels = reader.U16("channels");
        int groupSize = reader.U8("group size");
        int anchorLevels = reader.U8("anchor levels");
        reader.U16("reserved");
        if (mode > 1 || layers == 0 || tokens == 0 || channels == 0 || (long)layers * tokens * channels > MaxElements)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"mode {mode}, {layers} layers × {tokens} tokens × {channels} channels is not a valid KV block");
        }

        byte[] levels = [];
        if (mode == 1)
        {
            levels = reader.Take(layers, "levels").ToArray();
            if (groupSize == 0 || anchorLevels is 0 or > 127 || levels.Any(l => l is 0 or > 127))
            {
                throw new KvCodecException(KvCodecError.Malformed, $"quantiser parameters out of range (group {groupSize}, anchor levels {anchorLevels})");
            }
        }

        bodyStart = reader.Position;
        return new KvBitstreamHeader(mode == 1, layers, tokens, channels, groupSize, anchorLevels, levels);
    }

    public static void AppendChecksum(BitstreamWriter writer) => writer.U64(XxHash3.HashToUInt64(writer.Written));
}
