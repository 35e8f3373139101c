using System.IO.Hashing;

namespace Memory.KvCache.Codec;

/// <summary>
/// The self-describing front of a KV bitstream: "MKVC", version, mode (0 lossless, 1 quantised) and dimensions;
/// every quantiser parameter lives in its section, so a stream decodes without knowing the preset that wrote it.
/// The stream ends with an XxHash3-64 of everything before it. Limits keep a hostile header from asking for huge
/// buffers. Version 1 (anchor + delta quantisation with fixed level counts) is rejected, never misread.
/// </summary>
internal sealed record KvBitstreamHeader(bool Quantized, int Layers, int Tokens, int Channels)
{
    public const byte Version = 2;
    public const int ChecksumBytes = 8;
    public const int FixedBytes = 14;
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
        writer.U16(0);
    }

    /// <summary>Checks magic, version and checksum, then parses the header; <paramref name="bodyStart"/> is where the sections begin.</summary>
    public static KvBitstreamHeader Read(ReadOnlySpan<byte> data, out int bodyStart)
    {
        if (data.Length < Magic.Length || !data[..Magic.Length].SequenceEqual(Magic))
        {
            throw new KvCodecException(data.Length < Magic.Length ? KvCodecError.Truncated : KvCodecError.BadMagic, "not a KV bitstream (magic MKVC expected)");
        }

        if (data.Length < Magic.Length + 1)
        {
            throw new KvCodecException(KvCodecError.Truncated, "KV bitstream ends before its version");
        }

        if (data[4] != Version)
        {
            string which = data[4] < Version ? "an older" : "a newer or unknown";
            throw new KvCodecException(KvCodecError.UnsupportedVersion, $"KV bitstream version {data[4]} is {which} format; this build reads version {Version} only (recompute the block)");
        }

        if (data.Length < FixedBytes + ChecksumBytes)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"KV bitstream of {data.Length} bytes is shorter than its header");
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
        int reserved = reader.U16("reserved");
        if (mode > 1 || reserved != 0 || layers == 0 || tokens == 0 || channels == 0 || (long)layers * tokens * channels > MaxElements)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"mode {mode}, {layers} layers × {tokens} tokens × {channels} channels is not a valid KV block");
        }

        bodyStart = reader.Position;
        return new KvBitstreamHeader(mode == 1, layers, tokens, channels);
    }

    public static void AppendChecksum(BitstreamWriter writer) => writer.U64(XxHash3.HashToUInt64(writer.Written));
}
