using Memory.Inference.Decoding;
using Memory.Inference.Tokenization;
using Xunit.Abstractions;

namespace Memory.Inference.Tests;

/// <summary>The C# decoder on the project's trained demo model against PyTorch (fp32 compute on its bf16 weights).</summary>
public sealed class DemoModelTests(ITestOutputHelper output)
{
    private const double LogitTolerance = 2e-2;

    [Fact]
    public void Demo_model_matches_pytorch_logits_and_32_greedy_tokens()
    {
        var demo = DemoModel.Load();
        var tokenizer = HfTokenizer.Load(Path.Combine(demo.Directory, "tokenizer.json"));
        using var decoder = DecoderFactory.Open(demo.Directory, blockSize: 16, maxBatchTokens: 16, cacheTokens: 512);
        var sequences = new List<DecoderSequence>();
        double worst = 0;
        foreach (var prompt in demo.Prompts)
        {
            Assert.Equal(prompt.Ids, tokenizer.Encode(prompt.Text));
            var sequence = decoder.StartSequence(SamplingOptions.Greedy, captureLogits: true);
            decoder.Prefill(sequence, prompt.Ids);
            var logits = sequence.LastLogits!;
            Assert.Equal(prompt.LastLogits.Length, logits.Length);
            for (int i = 0; i < logits.Length; i++)
            {
                Assert.False(float.IsNaN(logits[i]));
                worst = Math.Max(worst, Math.Abs(logits[i] - prompt.LastLogits[i]));
            }

            sequences.Add(sequence);
        }

        // The three continuations are decoded as one batch of three sequences per step.
        var streams = sequences.Select(s => new List<int> { s.NextToken!.Value }).ToList();
        for (int step = 1; step < 32; step++)
        {
            decoder.Step(sequences);
            for (int i = 0; i < sequences.Count; i++)
            {
                streams[i].Add(sequences[i].NextToken!.Value);
            }
        }

        output.WriteLine($"demo model: max |Δlogit| vs PyTorch = {worst:E3}");
        for (int i = 0; i < sequences.Count; i++)
        {
            // transformers' generate stops at the end-of-text token, so its continuation can be shorter than 32.
            var expected = demo.Prompts[i].Greedy;
            output.WriteLine($"{demo.Prompts[i].Text} → {tokenizer.Decode(streams[i].Take(expected.Length))}");
            Assert.True(expected.Length == 32 || decoder.Config.EosTokenIds.Contains(expected[^1]), "a reference shorter than 32 tokens ends at end-of-text");
            Assert.Equal(expected, streams[i].Take(expected.Length));
        }

        Assert.True(worst <= LogitTolerance, $"max |Δlogit| {worst} exceeds {LogitTolerance}");
    }
}
