using Memory.Inference.Decoding;

namespace Memory.Inference.Tests;

/// <summary>Export of full KV blocks and import into a fresh sequence (the KV store's path into the decoder).</summary>
public sealed class KvBlockAccessTests
{
    private const int BlockSize = 4;

    [Theory]
    [InlineData("tiny-qwen25-fp16")]
    [InlineData("tiny-llama3-bf16")]
    public void Imported_blocks_give_the_same_logits_and_continuation_as_a_full_prefill(string name)
    {
        var reference = ReferenceCase.Load(name);
        var prompt = reference.Prompts.MaxBy(p => p.InputIds.Length)!.InputIds;
        using var decoder = DecoderFactory.Open(reference.Directory, blockSize: BlockSize, maxBatchTokens: 8);

        var full = decoder.StartSequence(SamplingOptions.Greedy, captureLogits: true);
        decoder.Prefill(full, prompt);
        int blocks = decoder.FullBlockCount(full);
        Assert.Equal(prompt.Length / BlockSize, blocks);
        var exported = Enumerable.Range(0, blocks - 1).Select(i => decoder.ExportBlock(full, i)).ToList();
        Assert.All(exported, block => Assert.Contains(block.Keys.ToArray(), h => h != Half.Zero));
        var bulk = decoder.ExportBlocks(full, 0, exported.Count);
        Assert.Equal(exported.Select(b => b.BlockIndex), bulk.Select(b => b.BlockIndex));
        Assert.Equal(exported.SelectMany(b => b.Keys.ToArray()), bulk.SelectMany(b => b.Keys.ToArray()));
        Assert.Equal(exported.SelectMany(b => b.Values.ToArray()), bulk.SelectMany(b => b.Values.ToArray()));
        Assert.Equal(exported.SelectMany(b => b.Tokens.ToArray()), bulk.SelectMany(b => b.Tokens.ToArray()));

        // Import all but the last full block, so prefill has to compute a whole block and a partial one.
        var imported = decoder.StartSequenceFromBlocks(exported, SamplingOptions.Greedy, captureLogits: true);
        Assert.Equal(exported.Count * BlockSize, imported.Length);
        Assert.Null(imported.NextToken);
        Assert.Equal(prompt.Take(imported.Length), imported.Tokens);
        decoder.Prefill(imported, prompt.AsSpan(imported.Length));

        Assert.Equal(full.LastLogits, imported.LastLogits);
        for (int step = 0; step < 6; step++)
        {
            Assert.Equal(full.NextToken, imported.NextToken);
            decoder.Step([full, imported]);
            Assert.Equal(full.LastLogits, imported.LastLogits);
        }

        // Blocks exported from the imported sequence are the ones it was given.
        for (int i = 0; i < exported.Count; i++)
        {
            var again = decoder.ExportBlock(imported, i);
            Assert.Equal(exported[i].Tokens.ToArray(), again.Tokens.ToArray());
            Assert.Equal(exported[i].Keys.ToArray(), again.Keys.ToArray());
            Assert.Equal(exported[i].Values.ToArray(), again.Values.ToArray());
        }
    }

    [Fact]
    public void Exported_block_holds_every_layer_in_the_documented_layout()
    {
        var reference = ReferenceCase.Load("tiny-qwen25-fp16");
        using var decoder = DecoderFactory.Open(reference.Directory, blockSize: BlockSize);
        var sequence = decoder.StartSequence(SamplingOptions.Greedy);
        decoder.Prefill(sequence, reference.Prompts[0].InputIds);
        var block = decoder.ExportBlock(sequence, 1);
        var c = decoder.Config;
        Assert.Equal(1, block.BlockIndex);
        Assert.Equal(BlockSize, block.BlockSize);
        Assert.Equal(c.NumLayers, block.NumLayers);
        Assert.Equal(c.NumKvHeads * c.HeadDim, block.KvDim);
        Assert.Equal(c.NumLayers * BlockSize * block.KvDim, block.Keys.Length);
        Assert.Equal(reference.Prompts[0].InputIds.Skip(BlockSize).Take(BlockSize), block.Tokens.ToArray());

        // Layers differ from one another (each has its own projections).
        Assert.NotEqual(block.LayerKeys(0).ToArray(), block.LayerKeys(c.NumLayers - 1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.ExportBlock(sequence, decoder.FullBlockCount(sequence)));
    }

    [Fact]
    public void Import_refuses_blocks_out_of_order_or_of_another_geometry()
    {
        var reference = ReferenceCase.Load("tiny-qwen25-fp16");
        using var decoder = DecoderFactory.Open(reference.Directory, blockSize: BlockSize);
        var sequence = decoder.StartSequence(SamplingOptions.Greedy);
        decoder.Prefill(sequence, reference.Prompts[1].InputIds);
        var first = decoder.ExportBlock(sequence, 0);
        var second = decoder.ExportBlock(sequence, 1);
        int freeBefore = decoder.FreeKvBlocks;

        var outOfOrder = Assert.Throws<ArgumentException>(() => decoder.StartSequenceFromBlocks([second], SamplingOptions.Greedy));
        Assert.Contains("block index 1", outOfOrder.Message, StringComparison.Ordinal);
        var shorter = new KvBlockData(0, first.NumLayers, first.KvDim, first.Tokens[..2].ToArray(), first.Keys[..(first.Keys.Length / 2)].ToArray(), first.Values[..(first.Values.Length / 2)].ToArray());
        Assert.Throws<ArgumentException>(() => decoder.StartSequenceFromBlocks([shorter], SamplingOptions.Greedy));
        Assert.Equal(freeBefore, decoder.FreeKvBlocks);
        Assert.Throws<ArgumentException>(() => new KvBlockData(0, 1, 3, [1, 2], new Half[5], new Half[6]));
    }

    [Fact]
    public void Identity_is_stable_per_model_and_differs_between_models()
    {
        var qwen = ReferenceCase.Load("tiny-qwen25-fp16");
        var llama = ReferenceCase.Load("tiny-llama3-bf16");
        ModelIdentity a, b, other;
        using (var decoder = DecoderFactory.Open(qwen.Directory))
        {
            a = decoder.Identity;
        }

        using (var decoder = DecoderFactory.Open(qwen.Directory, blockSize: 8))
        {
            b = decoder.Identity;
        }

        using (var decoder = DecoderFactory.Open(llama.Directory))
        {
            other = decoder.Identity;
        }

        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{64}$", a.WeightsFingerprint);
        Assert.Equal("F16", a.WeightDType);
        Assert.Equal("BF16", other.WeightDType);
        Assert.Equal("float16", a.KvDType);
        Assert.NotEqual(a.WeightsFingerprint, other.WeightsFingerprint);
        Assert.NotEqual(a.Key, other.Key);
    }
}
