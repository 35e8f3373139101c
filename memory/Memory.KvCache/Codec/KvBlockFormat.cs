using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using Memory.KvCache.Blocks;

namespace Memory.KvCache.Codec;

/// <summary>
/// A stored block: "MKVB", version, the block's key and prefix key, the model identity, the token ids, the codec's
/// bitstream (self-describing, with its own hash) and an XxHash3-64 over everything. Reading checks the hash, the
/// codec's dimensions against the model, and that the key really is the hash of prefix + model + tokens, so a file
/// or value that was cut short, altered or filed under the wrong key never reaches the decoder.
/// </summary>
public static class KvBlockFormat
{
    public const byte Version = 1;
    private const int MaxTokens = ushort.MaxValue;
    private const int MaxText = 4096;

    private static ReadOnlySpan<byte> Magic => "MKVB"u8;

    public static byte[] Write(KvBlock block, byte[] codecBitstream)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(codecBitstream);
        var writer = new BitstreamWriter(codecBitstream.Length + (block.Tokens.Length * 4) + 256);
        writer.Bytes(Magic);
        writer.U8(Version);
        writer.U8(0);
        writer.U16(0);
        writer.Bytes(block.Key.ToBytes());
        writer.Bytes(block.Prefix.ToBytes());
        Text(writer, block.Model.Fingerprint);
        Text(writer, block.Model.DType);
        writer.U16((ushort)block.Model.Layers);
        writer.U16((ushort)block.Model.KvHeads);
        writer.U16((ushort)block.Model.HeadDim);
        writer.U32((uint)block.Tokens.Length);
        foreach (int token in block.Tokens)
        {
            writer.U32((uint)token);
        }

        writer.U32((uint)codecBitstream.Length);
        writer.Bytes(codecBitstream);
        writer.U64(XxHash3.HashToUInt64(writer.Written));
        return writer.ToArray();
    }

    /// <summary>Parses and verifies a stored block, decoding its keys and values with <paramref name="codec"/>.</summary>
    /// <exception cref="KvCodecException">The data is not a valid, self-consistent block.</exception>
    public static KvBlock Read(ReadOnlySpan<byte> data, KvBlockCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        var (key, prefix, model, tokens, bitstream) = ReadEnvelope(data);
        var kv = codec.Decode(data[bitstream]);
        if (kv.Layers != model.Layers || kv.Channels != model.KvDim || kv.Tokens != tokens.Length)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"bitstream of {kv.Layers}×{kv.Tokens}×{kv.Channels} does not fit the block's model ({model.Layers} layers, {model.KvDim} channels, {tokens.Length} tokens)");
        }

        return new KvBlock(key, prefix, model, tokens, kv.Keys, kv.Values);
    }

    /// <summary>
    /// <see cref="Read"/> for many blocks with one codec batch (on a GPU codec: shared launches). Any invalid item fails
    /// the whole batch; a caller that must know which one reads them one by one.
    /// </summary>
    /// <exception cref="KvCodecException">An item is not a valid, self-consistent block.</exception>
    public static KvBlock[] ReadBatch(IReadOnlyList<byte[]> items, KvBlockCodec codec, KvDecodeProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(codec);
        long started = Stopwatch.GetTimestamp();
        // Each envelope is two checksums (over ~0.6 MB a block of the 0.5B model): in parallel. Its bitstream is decoded where it lies.
        var envelopes = new (BlockKey Key, BlockKey Prefix, KvModel Model, int[] Tokens, Range Bitstream)[items.Count];
        ParallelCoding.For(items.Count, i => envelopes[i] = ReadEnvelope(items[i]));
        profile?.Lap(KvDecodePhase.Envelope, started);
        var decoded = codec.DecodeBatch(envelopes.Select((e, i) => Slice(items[i], e.Bitstream)).ToArray(), profile);
        var blocks = new KvBlock[items.Count];
        for (int i = 0; i < blocks.Length; i++)
        {
            var (key, prefix, model, tokens, _) = envelopes[i];
            var kv = decoded[i];
            if (kv.Layers != model.Layers || kv.Channels != model.KvDim || kv.Tokens != tokens.Length)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"bitstream of {kv.Layers}×{kv.Tokens}×{kv.Channels} does not fit the block's model ({model.Layers} layers, {model.KvDim} channels, {tokens.Length} tokens)");
            }

            blocks[i] = new KvBlock(key, prefix, model, tokens, kv.Keys, kv.Values);
        }

        return blocks;
    }

    /// <summary>The block's key as stored (after the hash check), without decoding its keys and values.</summary>
    public static BlockKey ReadKey(ReadOnlySpan<byte> data) => ReadEnvelope(data).Key;

    private static ArraySegment<byte> Slice(byte[] data, Range range)
    {
        var (offset, length) = range.GetOffsetAndLength(data.Length);
        return new ArraySegment<byte>(data, offset, length);
    }

    /// <summary>The verified envelope; its bitstream as where it lies in <paramref name="data"/> (not copied).</summary>
    private static (BlockKey Key, BlockKey Prefix, KvModel Model, int[] Tokens, Range Bitstream) ReadEnvelope(ReadOnlySpan<byte> data)
    {
        if (data.Length < Magic.Length || !data[..Magic.Length].SequenceEqual(Magic))
        {
            throw new KvCodecException(data.Length < Magic.Length ? KvCodecError.Truncated : KvCodecError.BadMagic, "not a stored KV block (magic MKVB expected)");
        }

        if (data.Length < 8 + 8)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"stored KV block of {data.Length} bytes is shorter than its header");
        }

        if (data[4] != Version)
        {
            throw new KvCodecException(KvCodecError.UnsupportedVersion, $"stored KV block version {data[4]}; this build reads version {Version}");
        }

        var body = data[..^8];
        if (XxHash3.HashToUInt64(body) != BitConverter.ToUInt64(data[^8..]))
        {
            throw new KvCodecException(KvCodecError.ChecksumMismatch, "stored KV block checksum does not match its contents");
        }

        var reader = new BitstreamReader(body);
        reader.Take(8, "header");
        var key = BlockKey.FromBytes(reader.Take(BlockKey.Length, "key"));
        var prefix = BlockKey.FromBytes(reader.Take(BlockKey.Length, "prefix key"));
        string fingerprint = ReadText(ref reader, "fingerprint");
        string dtype = ReadText(ref reader, "dtype");
        int layers = reader.U16("layers");
        int kvHeads = reader.U16("kv heads");
        int headDim = reader.U16("head dim");
        int count = reader.Length("token count", MaxTokens);
        if (layers == 0 || kvHeads == 0 || headDim == 0 || count == 0 || fingerprint.Length == 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "stored KV block has an empty model identity or no tokens");
        }

        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = (int)reader.U32("token");
        }

        int length = reader.Length("bitstream length", reader.Remaining);
        var bitstream = new Range(reader.Position, reader.Position + length);
        reader.Take(length, "bitstream");
        if (reader.Remaining != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "bytes after the bitstream");
        }

        var model = new KvModel { Fingerprint = fingerprint, DType = dtype, Layers = layers, KvHeads = kvHeads, HeadDim = headDim };
        if (BlockKeyChain.Next(prefix, tokens, model, tokens.Length) != key)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"stored KV block {key} does not hash to its own key");
        }

        return (key, prefix, model, tokens, bitstream);
    }

    private static void Text(BitstreamWriter writer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxText)
        {
            throw new ArgumentException($"model identity field longer than {MaxText} bytes");
        }

        writer.U16((ushort)bytes.Length);
        writer.Bytes(bytes);
    }

    private static string ReadText(ref BitstreamReader reader, string what)
    {
        int length = reader.U16(what);
        if (length > MaxText)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{what} of {length} bytes");
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(reader.Take(length, what));
        }
        catch (DecoderFallbackException exception)
        {
            throw new KvCodecException($"{what} is not UTF-8", exception);
        }
    }
}
