using System.ComponentModel.DataAnnotations;

namespace Memory.Inference.Serving;

/// <summary>Limits of the generation loop (section "Generation").</summary>
public sealed class GenerationSchedulerOptions
{
    public const string SectionName = "Generation";

    /// <summary>Requests waiting for room in the decoder; more are refused as busy.</summary>
    [Range(1, 100_000)]
    public int MaxQueuedRequests { get; set; } = 256;

    /// <summary>Computed KV blocks waiting to be written to the KV cache; more are dropped (and recomputed next time).</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingStoreBlocks { get; set; } = 4096;

    /// <summary>Store the prompt's full blocks in the KV cache after each prefill (and the generated ones at the end).</summary>
    public bool StoreBlocks { get; set; } = true;
}
