using Memory.Inference.Decoding;

namespace Memory.Inference.Tests;

/// <summary>Opens a decoder for a reference model on the configured accelerator (the CPU accelerator unless MEMORY_TEST_ACCELERATOR says otherwise).</summary>
internal static class DecoderFactory
{
    public static LlamaDecoder Open(string directory, int blockSize = 16, int maxBatchTokens = 64, int cacheTokens = 1024, int maxSequences = 8, bool tensorCores = true) =>
        LlamaDecoder.Open(new DecoderOptions
        {
            ModelDirectory = directory,
            Accelerator = Enum.TryParse<AcceleratorPreference>(Environment.GetEnvironmentVariable("MEMORY_TEST_ACCELERATOR"), true, out var preference)
                ? preference
                : AcceleratorPreference.Cpu,
            KvBlockSize = blockSize,
            MaxBatchTokens = maxBatchTokens,
            KvCacheTokens = cacheTokens,
            MaxSequences = maxSequences,
            TensorCores = tensorCores,
        });
}
