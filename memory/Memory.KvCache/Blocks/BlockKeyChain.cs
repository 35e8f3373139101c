using System.Buffers.Binary;
using System.Text;

namespace Memory.KvCache.Blocks;

/// <summary>
/// Chained block keys: key(i) = SHA-256(domain, key(i−1), model identity, block size, tokens of block i). A key therefore
/// names the whole prefix up to the end of its block, for one model, and any process computes the same keys.
/// </summary>
public static class BlockKeyChain
{
    public const int DefaultBlockSize = 256;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("memory.kv.block/v1");

    /// <summary>The key of the block holding <paramref name="tokens"/> after the prefix named by <paramref name="prefix"/>.</summary>
    public static BlockKey Next(BlockKey prefix, ReadOnlySpan<int> tokens, KvModel model, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        if (tokens.Length != blockSize)
        {
            throw new ArgumentException($"a block holds exactly {blockSize} tokens, got {tokens.Length}", nameof(tokens));
        }

        var modelBytes = Encoding.UTF8.GetBytes(model.Canonical);
        int length = Domain.Length + BlockKey.Length + 4 + modelBytes.Length + 4 + (tokens.Length * 4);
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        Domain.CopyTo(span);
        span = span[Domain.Length..];
        prefix.WriteBytes(span[..BlockKey.Length]);
        span = span[BlockKey.Length..];
        BinaryPrimitives.WriteInt32LittleEndian(span, modelBytes.Length);
        modelBytes.CopyTo(span[4..]);
        span = span[(4 + modelBytes.Length)..];
        BinaryPrimitives.WriteInt32LittleEndian(span, blockSize);
        span = span[4..];
        for (int i = 0; i < tokens.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], tokens[i]);
        }

        return BlockKey.Hash(buffer);
    }

    /// <summary>Keys of every full block of <paramref name="tokens"/> (a partial last block has no key).</summary>
    public static IReadOnlyList<BlockKey> Keys(ReadOnlySpan<int> tokens, KvModel model, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var keys = new List<BlockKey>(tokens.Length / blockSize);
        var previous = BlockKey.Root;
        for (int start = 0; start + blockSize <= tokens.Length; start += blockSize)
        {
            previous = Next(previous, tokens.Slice(start, blockSize), model, blockSize);
            keys.Add(previous);
        }

        return keys;
    }
}
