namespace Memory.Inference.Decoding;

/// <summary>How a sequence picks its next token (see Memory.Kernels.SampleKernel for the exact semantics).</summary>
/// <param name="Temperature">0 or less: greedy.</param>
/// <param name="TopK">0: off.</param>
/// <param name="TopP">1: off.</param>
/// <param name="Seed">Seeds the sequence's own generator, so a run repeats exactly.</param>
public sealed record SamplingOptions(float Temperature = 0f, int TopK = 0, float TopP = 1f, int Seed = 0)
{
    public static SamplingOptions Greedy { get; } = new();
}
