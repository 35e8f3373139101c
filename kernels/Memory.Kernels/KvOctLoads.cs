using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Up to eight 16-byte loads of fp16 keys or values (eight elements each) that one thread of
/// <see cref="DecodeAttentionKernel"/> requests together, passes <c>c</c> to <c>c + 7</c> of a head's octs: either its own
/// key row, or its share of the value tile (chunks first, first + stride, …). Every load is issued unconditionally, so a
/// batch is one round trip to memory: loads past the head's last oct, or of keys past the tile, read an address in range
/// (the last oct, the tile's last key) and are never used — <see cref="KeyOctFloats.Dot"/> skips octs past the head and
/// <see cref="Store"/> stores none, and the value sums read no staged row past the tile's keys.
/// </summary>
internal readonly struct KvOctLoads
{
    /// <summary>Octs per batch: a head of 64 is one batch, one round trip to memory.</summary>
    public const int Depth = 8;

    private readonly Bits128 _e0, _e1, _e2, _e3, _e4, _e5, _e6, _e7;

    private KvOctLoads(Bits128 e0, Bits128 e1, Bits128 e2, Bits128 e3, Bits128 e4, Bits128 e5, Bits128 e6, Bits128 e7)
    {
        _e0 = e0; _e1 = e1; _e2 = e2; _e3 = e3; _e4 = e4; _e5 = e5; _e6 = e6; _e7 = e7;
    }

    /// <summary>Octs c..c + 7 of the row starting at oct <paramref name="rowOct"/>.</summary>
    public static KvOctLoads LoadRow(ArrayView<Bits128> cache, int rowOct, int c, int octs) => new(
        RowOct(cache, rowOct, c, octs),
        RowOct(cache, rowOct, c + 1, octs),
        RowOct(cache, rowOct, c + 2, octs),
        RowOct(cache, rowOct, c + 3, octs),
        RowOct(cache, rowOct, c + 4, octs),
        RowOct(cache, rowOct, c + 5, octs),
        RowOct(cache, rowOct, c + 6, octs),
        RowOct(cache, rowOct, c + 7, octs));

    /// <summary>
    /// Chunks first + i · stride (i &lt; 8) of the tile's value rows, chunk n being oct n % octs of the tile's key
    /// n / octs; <paramref name="key"/> and <paramref name="oct"/> are chunk first's, and each further chunk is
    /// <paramref name="keyStep"/> keys and <paramref name="octStep"/> octs on (stride = keyStep · octs + octStep), so no
    /// division is repeated per chunk.
    /// </summary>
    public static KvOctLoads LoadTile(ArrayView<Bits128> cache, ArrayView<int> blockTable, TileRows rows, int octs, int key, int oct, int keyStep, int octStep)
    {
        var e0 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e1 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e2 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e3 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e4 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e5 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e6 = Chunk(cache, blockTable, rows, key, oct);
        Advance(ref key, ref oct, keyStep, octStep, octs);
        var e7 = Chunk(cache, blockTable, rows, key, oct);
        return new KvOctLoads(e0, e1, e2, e3, e4, e5, e6, e7);
    }

    /// <summary>Stores the batch's chunks of passes below <paramref name="octs"/> at first + i · stride of the staged tile.</summary>
    public void Store(ArrayView<Bits128> tile, int first, int stride, int c, int octs)
    {
        Put(tile, first, c, octs, _e0);
        Put(tile, first + stride, c + 1, octs, _e1);
        Put(tile, first + (2 * stride), c + 2, octs, _e2);
        Put(tile, first + (3 * stride), c + 3, octs, _e3);
        Put(tile, first + (4 * stride), c + 4, octs, _e4);
        Put(tile, first + (5 * stride), c + 5, octs, _e5);
        Put(tile, first + (6 * stride), c + 6, octs, _e6);
        Put(tile, first + (7 * stride), c + 7, octs, _e7);
    }

    /// <summary>The batch widened to floats (for a key row scored against several query heads).</summary>
    public KeyOctFloats Widen() => new(_e0, _e1, _e2, _e3, _e4, _e5, _e6, _e7);

    // Absent loads read a clamped address that is in range, and nothing uses what they read: a load under a branch,
    // or a select of its result, would make the thread wait for it before issuing the next one.
    private static Bits128 RowOct(ArrayView<Bits128> cache, int rowOct, int oct, int octs) => cache[rowOct + Math.Min(oct, octs - 1)];

    private static Bits128 Chunk(ArrayView<Bits128> cache, ArrayView<int> blockTable, TileRows rows, int key, int oct) =>
        cache[rows.FirstOct(blockTable, Math.Min(key, rows.Keys - 1)) + oct];

    private static void Advance(ref int key, ref int oct, int keyStep, int octStep, int octs)
    {
        oct += octStep;
        int carry = oct >= octs ? 1 : 0;
        key += keyStep + carry;
        oct -= carry * octs;
    }

    private static void Put(ArrayView<Bits128> tile, int at, int pass, int octs, Bits128 bits)
    {
        if (pass < octs)
        {
            tile[at] = bits;
        }
    }
}
