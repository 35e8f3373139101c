namespace Memory.Inference.Decoding;

/// <summary>
/// The keys and values of one full KV block of a sequence: <see cref="BlockSize"/> consecutive tokens starting at
/// position <see cref="BlockIndex"/> × <see cref="BlockSize"/>, for every layer, in fp16 with rotary embedding
/// already applied (so a block is only valid at the position it was computed at, after the same prefix).
/// Layout of <see cref="Keys"/> and <see cref="Values"/>: [layer, slot in block, kv head, head dim], contiguous.
/// </summary>
public sealed class KvBlockData
{
    private readonly int[] _tokens;
    private readonly ReadOnlyMemory<Half> _keys;
    private readonly ReadOnlyMemory<Half> _values;

    /// <summary>Wraps arrays without copying; they must not be changed afterwards.</summary>
    /// <exception cref="ArgumentException">A length does not match the geometry.</exception>
    public KvBlockData(int blockIndex, int numLayers, int kvDim, int[] tokens, Half[] keys, Half[] values)
        : this(blockIndex, numLayers, kvDim, tokens, (ReadOnlyMemory<Half>)(keys ?? throw new ArgumentNullException(nameof(keys))), values ?? throw new ArgumentNullException(nameof(values)))
    {
    }

    /// <summary>Wraps memory without copying (a KV store's own buffers, say); it must not be changed afterwards.</summary>
    /// <exception cref="ArgumentException">A length does not match the geometry.</exception>
    public KvBlockData(int blockIndex, int numLayers, int kvDim, int[] tokens, ReadOnlyMemory<Half> keys, ReadOnlyMemory<Half> values)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kvDim, 1);
        if (tokens.Length == 0)
        {
            throw new ArgumentException("a KV block holds at least one token", nameof(tokens));
        }

        long expected = (long)numLayers * tokens.Length * kvDim;
        if (keys.Length != expected || values.Length != expected)
        {
            throw new ArgumentException(
                $"a block of {tokens.Length} tokens × {numLayers} layers × {kvDim} channels needs {expected} keys and values; got {keys.Length} and {values.Length}");
        }

        BlockIndex = blockIndex;
        NumLayers = numLayers;
        KvDim = kvDim;
        _tokens = tokens;
        _keys = keys;
        _values = values;
    }

    /// <summary>Which block of its sequence this is (0 = the first <see cref="BlockSize"/> tokens).</summary>
    public int BlockIndex { get; }

    public int NumLayers { get; }

    /// <summary>Key (or value) channels per token and layer.</summary>
    public int KvDim { get; }

    /// <summary>Tokens in the block.</summary>
    public int BlockSize => _tokens.Length;

    /// <summary>The tokens whose keys and values this block holds.</summary>
    public ReadOnlyMemory<int> Tokens => _tokens;

    /// <summary>Keys of all layers, [layer, slot, kv head, head dim].</summary>
    public ReadOnlyMemory<Half> Keys => _keys;

    /// <summary>Values of all layers, [layer, slot, kv head, head dim].</summary>
    public ReadOnlyMemory<Half> Values => _values;

    /// <summary>Keys of one layer, [slot, kv head, head dim].</summary>
    public ReadOnlyMemory<Half> LayerKeys(int layer) => _keys.Slice(LayerOffset(layer), BlockSize * KvDim);

    /// <summary>Values of one layer, [slot, kv head, head dim].</summary>
    public ReadOnlyMemory<Half> LayerValues(int layer) => _values.Slice(LayerOffset(layer), BlockSize * KvDim);

    private int LayerOffset(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumLayers);
        return layer * BlockSize * KvDim;
    }
}
