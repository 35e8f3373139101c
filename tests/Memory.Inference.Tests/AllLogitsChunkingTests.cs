namespace Memory.Inference.Tests;

/// <summary>
/// An all-logits prefill longer than the logits buffer (<see cref="Decoding.LlamaDecoder.LogitChunk"/> rows, fewer than
/// the forward pass's <c>MaxBatchTokens</c> here) is cut at the buffer's rows and gives the logits of small chunks.
/// </summary>
public sealed class AllLogitsChunkingTests
{
    [Fact]
    public void Prefill_chunks_larger_than_the_logits_buffer_give_the_same_logits()
    {
        var reference = ReferenceCase.Load("tiny-llama3-bf16");
        var random = new Random(23);
        var prompt = Enumerable.Range(0, Decoding.LlamaDecoder.LogitChunk + 88).Select(_ => random.Next(reference.VocabSize)).ToArray();
        float[] Logits(int maxBatchTokens)
        {
            using var decoder = DecoderFactory.Open(reference.Directory, blockSize: 16, maxBatchTokens: maxBatchTokens, cacheTokens: 1024, maxSequences: 2);
            var sequence = decoder.StartSequence(Decoding.SamplingOptions.Greedy);
            return decoder.PrefillWithAllLogits(sequence, prompt);
        }

        var wide = Logits(maxBatchTokens: 1000);
        var narrow = Logits(maxBatchTokens: 64);
        Assert.Equal(prompt.Length * reference.VocabSize, wide.Length);
        for (int i = 0; i < wide.Length; i++)
        {
            Assert.True(Math.Abs(wide[i] - narrow[i]) <= 1e-4 * (1 + Math.Abs(narrow[i])), $"logit {i}: {wide[i]} against {narrow[i]}");
        }
    }
}
