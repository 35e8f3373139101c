using Memory.Inference.Decoding;
using Xunit.Abstractions;

namespace Memory.Inference.Tests;

/// <summary>The decoder against PyTorch on the committed tiny models (tools/make_reference.py).</summary>
public sealed class ReferenceMatchTests(ITestOutputHelper output)
{
    /// <summary>The bound for 16-bit models.</summary>
    private const double LogitTolerance = 2e-2;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_at_every_reference_position_are_within_tolerance_of_pytorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        using var decoder = DecoderFactory.Open(reference.Directory, blockSize: 4, maxBatchTokens: 8);
        double worst = 0;
        foreach (var prompt in reference.Prompts)
        {
            var sequence = decoder.StartSequence(SamplingOptions.Greedy);
            var logits = decoder.PrefillWithAllLogits(sequence, prompt.InputIds);
            decoder.EndSequence(sequence);
            int vocab = reference.VocabSize;
            Assert.Equal(prompt.InputIds.Length * vocab, logits.Length);
            for (int i = 0; i < prompt.ExactLogits.Length; i++)
            {
                float ours = logits[(prompt.FirstLogitPosition * vocab) + i];
                Assert.False(float.IsNaN(ours));
                worst = Math.Max(worst, Math.Abs(ours - prompt.ExactLogits[i]));
            }
        }

        output.WriteLine($"{name}: max |Δlogit| vs float64 PyTorch = {worst:E3} (PyTorch's own native 16-bit run: {reference.MaxAbsNativeVsExact:E3})");
        Assert.True(worst <= LogitTolerance, $"max |Δlogit| {worst} exceeds {LogitTolerance}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Greedy_continuations_of_32_tokens_are_identical(string name)
    {
        var reference = ReferenceCase.Load(name);
        using var decoder = DecoderFactory.Open(reference.Directory);
        foreach (var prompt in reference.Prompts)
        {
            var sequence = decoder.StartSequence(SamplingOptions.Greedy);
            decoder.Prefill(sequence, prompt.InputIds);
            var generated = new List<int>();
            while (generated.Count < prompt.Greedy.Length)
            {
                generated.Add(sequence.NextToken!.Value);
                if (generated.Count < prompt.Greedy.Length)
                {
                    decoder.Step([sequence]);
                }
            }

            decoder.EndSequence(sequence);
            Assert.Equal(prompt.Greedy, generated);
        }
    }

    [Fact]
    public void Sequences_decoded_together_match_sequences_decoded_alone()
    {
        var reference = ReferenceCase.Load("tiny-qwen25-fp16");
        using var decoder = DecoderFactory.Open(reference.Directory, blockSize: 4, maxBatchTokens: 16);
        var sequences = reference.Prompts.Select(_ => decoder.StartSequence(SamplingOptions.Greedy)).ToList();
        for (int i = 0; i < sequences.Count; i++)
        {
            decoder.Prefill(sequences[i], reference.Prompts[i].InputIds);
        }

        var streams = sequences.Select(_ => new List<int>()).ToList();
        for (int step = 0; step < 32; step++)
        {
            var fed = decoder.Step(sequences);
            for (int i = 0; i < fed.Count; i++)
            {
                streams[i].Add(fed[i]);
            }
        }

        for (int i = 0; i < sequences.Count; i++)
        {
            Assert.Equal(reference.Prompts[i].Greedy, streams[i]);
        }
    }

    public static TheoryData<string> Cases() => new(ReferenceCase.Names());
}
