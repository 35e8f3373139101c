using Memory.Inference.Decoding;

namespace Memory.Inference.Tests;

/// <summary>Bulk import and export of KV blocks through the cache's staging buffers (several chunks, scattered blocks).</summary>
public sealed class PagedKvCacheTransferTests
{
    private const int Layers = 3;
    private const int KvDim = 6;
    private const int BlockSize = 4;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    public void Blocks_imported_in_chunks_come_back_bit_for_bit_and_leave_other_blocks_alone(int chunkBlocks)
    {
        using var accelerator = DecoderAccelerator.Create(Preference());
        long blockBytes = 2L * Layers * BlockSize * KvDim * sizeof(ushort);
        using var cache = new PagedKvCache(accelerator.Accelerator, Layers, KvDim, BlockSize, 16 * BlockSize, chunkBlocks * blockBytes);
        var random = new Random(7);
        var first = Enumerable.Range(0, 16).Select(i => Block(i, random)).ToArray();
        var all = Enumerable.Range(0, 16).ToArray();
        cache.ImportBlocks(all, first);

        // Overwrite five scattered blocks, out of order; the other eleven keep their contents.
        int[] targets = [9, 2, 15, 0, 7];
        var second = targets.Select((_, i) => Block(100 + i, random)).ToArray();
        cache.ImportBlocks(targets, second);
        var exported = cache.ExportBlocks(all);

        for (int b = 0; b < all.Length; b++)
        {
            int replaced = Array.IndexOf(targets, b);
            var expected = replaced >= 0 ? second[replaced] : first[b];
            Assert.Equal(expected.Keys.ToArray(), exported[b].Keys);
            Assert.Equal(expected.Values.ToArray(), exported[b].Values);
        }
    }

    [Fact]
    public void A_block_outside_the_cache_is_refused_before_anything_is_copied()
    {
        using var accelerator = DecoderAccelerator.Create(Preference());
        using var cache = new PagedKvCache(accelerator.Accelerator, Layers, KvDim, BlockSize, 4 * BlockSize);
        var random = new Random(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.ImportBlocks([0, 4], [Block(0, random), Block(1, random)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.ExportBlocks([-1]));
        Assert.Throws<ArgumentException>(() => cache.ImportBlocks([0], []));
    }

    private static KvBlockData Block(int index, Random random)
    {
        int length = Layers * BlockSize * KvDim;
        var keys = new Half[length];
        var values = new Half[length];
        for (int i = 0; i < length; i++)
        {
            keys[i] = (Half)(random.NextSingle() * 8 - 4);
            values[i] = (Half)(random.NextSingle() * 8 - 4);
        }

        return new KvBlockData(index, Layers, KvDim, Enumerable.Range(0, BlockSize).ToArray(), keys, values);
    }

    private static AcceleratorPreference Preference() =>
        Enum.TryParse<AcceleratorPreference>(Environment.GetEnvironmentVariable("MEMORY_TEST_ACCELERATOR"), true, out var preference) ? preference : AcceleratorPreference.Cpu;
}
