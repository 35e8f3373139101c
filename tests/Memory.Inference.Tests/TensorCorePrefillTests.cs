using Memory.Inference.Decoding;
using Xunit.Abstractions;

namespace Memory.Inference.Tests;

/// <summary>
/// The demo model's prefill with its products on the tensor cores (x rounded to bf16, as transformers computes) against
/// the same prefill on the FP32 tiled GEMM, on the CUDA device only (the CPU accelerator has no tensor cores).
/// </summary>
public sealed class TensorCorePrefillTests(ITestOutputHelper output)
{
    /// <summary>
    /// Rounding every product's input to bf16 moves the logits by a few hundredths (measured: see the test output); a
    /// wrong fragment layout moves them by whole units.
    /// </summary>
    private const double LogitTolerance = 0.25;

    [SkippableCudaFact]
    public void A_300_token_prefill_on_the_tensor_cores_matches_the_fp32_prefill()
    {
        var demo = DemoModel.Load();
        using var tensor = DecoderFactory.Open(demo.Directory, blockSize: 16, maxBatchTokens: 512, cacheTokens: 1024, tensorCores: true);
        using var fp32 = DecoderFactory.Open(demo.Directory, blockSize: 16, maxBatchTokens: 512, cacheTokens: 1024, tensorCores: false);
        Assert.True(tensor.UsesTensorCores);
        Assert.False(fp32.UsesTensorCores);
        // The reference prompts' tokens, repeated to 300 (above the 128 tokens a product needs for the tensor cores).
        int[] text = [.. demo.Prompts.SelectMany(p => p.Ids)];
        int[] prompt = [.. Enumerable.Range(0, 300).Select(i => text[i % text.Length])];

        var a = Prefill(tensor, prompt);
        var b = Prefill(fp32, prompt);
        double worst = 0;
        double sum = 0;
        int vocab = tensor.Config.VocabSize;
        int sameArgMax = 0;
        for (int t = 0; t < prompt.Length; t++)
        {
            int bestA = 0;
            int bestB = 0;
            for (int v = 0; v < vocab; v++)
            {
                long i = ((long)t * vocab) + v;
                Assert.False(float.IsNaN(a[i]));
                double d = Math.Abs(a[i] - b[i]);
                worst = Math.Max(worst, d);
                sum += d;
                bestA = a[i] > a[((long)t * vocab) + bestA] ? v : bestA;
                bestB = b[i] > b[((long)t * vocab) + bestB] ? v : bestB;
            }

            sameArgMax += bestA == bestB ? 1 : 0;
        }

        output.WriteLine($"max |Δlogit| {worst:E3}, mean {sum / a.Length:E3}, same arg-max at {sameArgMax} of {prompt.Length} positions");
        Assert.True(worst <= LogitTolerance, $"max |Δlogit| {worst} exceeds {LogitTolerance}");
        Assert.True(sameArgMax >= prompt.Length * 95 / 100, $"arg-max differs at {prompt.Length - sameArgMax} of {prompt.Length} positions");
    }

    private static float[] Prefill(LlamaDecoder decoder, int[] prompt)
    {
        var sequence = decoder.StartSequence(SamplingOptions.Greedy);
        var logits = decoder.PrefillWithAllLogits(sequence, prompt);
        decoder.EndSequence(sequence);
        return logits;
    }
}

/// <summary>A fact that runs only on the CUDA device (MEMORY_TEST_ACCELERATOR=cuda); reported as skipped elsewhere.</summary>
public sealed class SkippableCudaFactAttribute : FactAttribute
{
    public SkippableCudaFactAttribute()
    {
        if (!string.Equals(Environment.GetEnvironmentVariable("MEMORY_TEST_ACCELERATOR"), "cuda", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "needs the CUDA device (MEMORY_TEST_ACCELERATOR=cuda)";
        }
    }
}
