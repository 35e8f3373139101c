namespace Memory.KvCache.Blocks;

/// <summary>
/// One block of attention state: for every layer, the keys and values of <see cref="Tokens"/> as fp16 bits laid out
/// [layer, token, kv channel] (kv channel = kv head × head dim + d). The token ids travel with the block so a reader
/// can check that a key really names this prefix (hash collisions are possible, if unlikely).
/// </summary>
public sealed class KvBlock
{
    public KvBlock(BlockKey key, BlockKey prefix, KvModel model, int[] tokens, ushort[] keys, ushort[] values)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        long expected = (long)model.Layers * tokens.Length * model.KvDim;
        if (keys.LongLength != expected || values.LongLength != expected)
        {
            throw new ArgumentException($"a block of {tokens.Length} tokens for {model.Layers} layers × {model.KvDim} channels needs {expected} keys and values; got {keys.LongLength} and {values.LongLength}");
        }

        Key = key;
        Prefix = prefix;
        Model = model;
        Tokens = tokens;
        Keys = keys;
        Values = values;
    }

    public BlockKey Key { get; }

    /// <summary>Key of the block before this one (<see cref="BlockKey.Root"/> for the first block).</summary>
    public BlockKey Prefix { get; }

    public KvModel Model { get; }

    public int[] Tokens { get; }

    /// <summary>fp16 bits, [layer, token, kv channel].</summary>
    public ushort[] Keys { get; }

    /// <summary>fp16 bits, [layer, token, kv channel].</summary>
    public ushort[] Values { get; }

    /// <summary>Bytes the uncompressed fp16 keys and values take.</summary>
    public long RawBytes => (Keys.LongLength + Values.LongLength) * sizeof(ushort);

    /// <summary>True when this block is the one <paramref name="prefix"/> + <paramref name="tokens"/> names for <paramref name="model"/>.</summary>
    public bool Matches(BlockKey prefix, ReadOnlySpan<int> tokens, KvModel model) =>
        Prefix == prefix && Model == model && tokens.SequenceEqual(Tokens);
}
