using System.Buffers;
using System.Security.Cryptography;

namespace Memory.KvCache.Blocks;

/// <summary>
/// The identity of one KV block: 32 bytes of SHA-256 over the previous block's key, the model's identity and this
/// block's tokens, so equal keys mean "same model, same whole prefix" (up to a hash collision, which stored blocks
/// guard against by carrying their token ids).
/// </summary>
public readonly record struct BlockKey
{
    public const int Length = 32;

    private readonly string? _hex;

    private BlockKey(string hex) => _hex = hex;

    /// <summary>The key "before the first block": every chain starts from it.</summary>
    public static BlockKey Root { get; } = new(new string('0', Length * 2));

    /// <summary>Lower-case hexadecimal, 64 characters (file names, Redis keys, database rows).</summary>
    public string Hex => _hex ?? Root.Hex;

    public bool IsRoot => Hex == Root.Hex;

    public static BlockKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"a block key is {Length} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new BlockKey(Convert.ToHexStringLower(bytes));
    }

    /// <summary>Parses 64 hexadecimal characters; false for anything else.</summary>
    public static bool TryParse(string? hex, out BlockKey key)
    {
        key = default;
        if (hex is null || hex.Length != Length * 2 || !hex.All(Uri.IsHexDigit))
        {
            return false;
        }

        key = new BlockKey(hex.ToLowerInvariant());
        return true;
    }

    public static BlockKey Parse(string hex) =>
        TryParse(hex, out var key) ? key : throw new FormatException($"'{hex}' is not a block key (64 hexadecimal characters)");

    public void WriteBytes(Span<byte> destination)
    {
        if (!Convert.FromHexString(Hex, destination, out _, out int written).Equals(OperationStatus.Done) || written != Length)
        {
            throw new InvalidOperationException("block key is not valid hexadecimal");
        }
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteBytes(bytes);
        return bytes;
    }

    internal static BlockKey Hash(ReadOnlySpan<byte> data) => FromBytes(SHA256.HashData(data));

    public override string ToString() => Hex;
}
