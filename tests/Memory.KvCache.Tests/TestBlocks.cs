using Memory.KvCache.Blocks;

namespace Memory.KvCache.Tests;

/// <summary>Chains of valid blocks with synthetic keys and values for tier and store tests.</summary>
internal static class TestBlocks
{
    public static KvModel Model(string fingerprint = "test-model", int layers = 2, int kvHeads = 2, int headDim = 8) =>
        new() { Fingerprint = fingerprint, Layers = layers, KvHeads = kvHeads, HeadDim = headDim };

    public static int[] Tokens(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(0, 5000)).ToArray();
    }

    /// <summary>Blocks for every full block of <paramref name="tokens"/>.</summary>
    public static List<KvBlock> Chain(KvModel model, int[] tokens, int blockSize, int seed = 1)
    {
        var blocks = new List<KvBlock>();
        var prefix = BlockKey.Root;
        var random = new Random(seed);
        for (int start = 0; start + blockSize <= tokens.Length; start += blockSize)
        {
            var blockTokens = tokens.AsSpan(start, blockSize).ToArray();
            var key = BlockKeyChain.Next(prefix, blockTokens, model, blockSize);
            blocks.Add(new KvBlock(key, prefix, model, blockTokens, SyntheticKv.Plane(random, model.Layers, blockSize, model.KvDim, 3f), SyntheticKv.Plane(random, model.Layers, blockSize, model.KvDim, 1f)));
            prefix = key;
        }

        return blocks;
    }
}
