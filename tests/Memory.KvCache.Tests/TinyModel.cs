using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.KvCache.Tests;

/// <summary>The decoder tests' tiny Llama 3 reference model (2 layers, vocabulary 320) on the CPU accelerator.</summary>
internal static class TinyModel
{
    public const int BlockSize = 16;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Reference", "tiny-llama3-bf16");

    public static LlamaDecoder Open(int cacheTokens = 1024) => LlamaDecoder.Open(new DecoderOptions
    {
        ModelDirectory = Directory,
        Accelerator = AcceleratorPreference.Cpu,
        KvBlockSize = BlockSize,
        KvCacheTokens = cacheTokens,
        MaxBatchTokens = 64,
        MaxSequences = 8,
    });

    public static GenerationScheduler Scheduler(LlamaDecoder decoder, IKvPrefixCache? cache) =>
        new(decoder, decoder, cache, new GenerationSchedulerOptions(), NullLogger<GenerationScheduler>.Instance);

    /// <summary>Prompt tokens from the model's vocabulary (seeded), avoiding the low special ids.</summary>
    public static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(10, 320)).ToArray();
    }

    public static GenerationRequest Greedy(int[] prompt, int maxTokens = 8, string tenant = "t1", string? conversation = null) =>
        new(prompt, SamplingOptions.Greedy, maxTokens, new HashSet<int>(), new KvBlockOrigin(tenant, conversation));

    public static async Task<(List<int> Tokens, GenerationSummary Summary)> RunAsync(GenerationScheduler scheduler, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var stream = scheduler.Submit(request, cancellationToken);
        var tokens = new List<int>();
        await foreach (int token in stream.Tokens.ReadAllAsync(CancellationToken.None))
        {
            tokens.Add(token);
        }

        return (tokens, await stream.Completion);
    }
}
