using Memory.KvCache.Blocks;

namespace Memory.KvCache.Tests;

public sealed class BlockKeyChainTests
{
    private static readonly KvModel Model = new() { Fingerprint = "weights-a", Layers = 2, KvHeads = 2, HeadDim = 8 };

    private static int[] Tokens(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(0, 1000)).ToArray();
    }

    [Fact]
    public void Same_prefix_gives_same_keys_in_any_call()
    {
        var tokens = Tokens(40, 1);
        var first = BlockKeyChain.Keys(tokens, Model, 16);
        var second = BlockKeyChain.Keys(tokens.ToArray(), Model with { }, 16);
        Assert.Equal(2, first.Count);
        Assert.Equal(first, second);
        Assert.Equal(64, first[0].Hex.Length);
    }

    [Fact]
    public void A_key_depends_on_every_earlier_token()
    {
        var tokens = Tokens(48, 2);
        var changed = tokens.ToArray();
        changed[3]++;
        var a = BlockKeyChain.Keys(tokens, Model, 16);
        var b = BlockKeyChain.Keys(changed, Model, 16);
        Assert.All(Enumerable.Range(0, 3), i => Assert.NotEqual(a[i], b[i]));

        var laterChange = tokens.ToArray();
        laterChange[40]++;
        var c = BlockKeyChain.Keys(laterChange, Model, 16);
        Assert.Equal(a[0], c[0]);
        Assert.Equal(a[1], c[1]);
        Assert.NotEqual(a[2], c[2]);
    }

    [Fact]
    public void Same_tokens_in_another_position_get_another_key()
    {
        var block = Tokens(16, 3);
        var twice = block.Concat(block).ToArray();
        var keys = BlockKeyChain.Keys(twice, Model, 16);
        Assert.NotEqual(keys[0], keys[1]);
    }

    [Fact]
    public void Model_identity_dtype_and_geometry_separate_key_spaces()
    {
        var tokens = Tokens(32, 4);
        var baseline = BlockKeyChain.Keys(tokens, Model, 32)[0];
        Assert.NotEqual(baseline, BlockKeyChain.Keys(tokens, Model with { Fingerprint = "weights-b" }, 32)[0]);
        Assert.NotEqual(baseline, BlockKeyChain.Keys(tokens, Model with { DType = "fp32" }, 32)[0]);
        Assert.NotEqual(baseline, BlockKeyChain.Keys(tokens, Model with { Layers = 3 }, 32)[0]);
        Assert.NotEqual(baseline, BlockKeyChain.Keys(tokens, Model with { KvHeads = 1, HeadDim = 16 }, 32)[0]);
        Assert.NotEqual(baseline, BlockKeyChain.Keys(tokens, Model, 16)[1]);
    }

    [Fact]
    public void Partial_last_block_has_no_key()
    {
        Assert.Single(BlockKeyChain.Keys(Tokens(31, 5), Model, 16));
        Assert.Empty(BlockKeyChain.Keys(Tokens(15, 5), Model, 16));
        Assert.Throws<ArgumentException>(() => BlockKeyChain.Next(BlockKey.Root, Tokens(15, 5), Model, 16));
    }

    [Fact]
    public void Keys_parse_and_round_trip_through_bytes()
    {
        var key = BlockKeyChain.Keys(Tokens(16, 6), Model, 16)[0];
        Assert.Equal(key, BlockKey.Parse(key.Hex.ToUpperInvariant()));
        Assert.Equal(key, BlockKey.FromBytes(key.ToBytes()));
        Assert.False(BlockKey.TryParse("xyz", out _));
        Assert.False(BlockKey.TryParse(new string('g', 64), out _));
        Assert.True(BlockKey.Root.IsRoot);
        Assert.True(default(BlockKey).IsRoot);
    }

    [Fact]
    public void A_block_verifies_its_prefix_tokens_and_model()
    {
        var tokens = Tokens(16, 7);
        var key = BlockKeyChain.Next(BlockKey.Root, tokens, Model, 16);
        long n = (long)Model.Layers * 16 * Model.KvDim;
        var block = new KvBlock(key, BlockKey.Root, Model, tokens, new ushort[n], new ushort[n]);
        Assert.True(block.Matches(BlockKey.Root, tokens, Model));
        var other = tokens.ToArray();
        other[0]++;
        Assert.False(block.Matches(BlockKey.Root, other, Model));
        Assert.False(block.Matches(key, tokens, Model));
        Assert.False(block.Matches(BlockKey.Root, tokens, Model with { Fingerprint = "x" }));
        Assert.Throws<ArgumentException>(() => new KvBlock(key, BlockKey.Root, Model, tokens, new ushort[n - 1], new ushort[n]));
    }
}
