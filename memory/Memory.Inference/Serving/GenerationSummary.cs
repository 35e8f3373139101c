namespace Memory.Inference.Serving;

/// <summary>How a completion went: sizes, reuse of cached KV, and timings on the generation loop.</summary>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CachedPromptTokens">Prompt tokens whose keys and values came from the KV cache instead of a prefill.</param>
/// <param name="CachedFrom">The tier of each reused block, in order ("host", "disk", "redis").</param>
/// <param name="CompletionTokens">Tokens generated (stop token excluded).</param>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="QueuedFor">Time between submission and admission to the decoder.</param>
/// <param name="TimeToFirstToken">Time between submission and the first generated token (cache lookup and prefill included).</param>
/// <param name="Total">Time between submission and the end.</param>
public sealed record GenerationSummary(
    int PromptTokens,
    int CachedPromptTokens,
    IReadOnlyList<string> CachedFrom,
    int CompletionTokens,
    FinishReason FinishReason,
    TimeSpan QueuedFor,
    TimeSpan TimeToFirstToken,
    TimeSpan Total)
{
    /// <summary>Of the time to first token: finding the cached prefix in the KV store (reading and decoding lower tiers included).</summary>
    public TimeSpan PrefixLookup { get; init; }

    /// <summary>Of the time to first token: copying the cached prefix into the decoder's KV cache.</summary>
    public TimeSpan PrefixImport { get; init; }

    /// <summary>Of the time to first token: prefilling the prompt tokens after the cached prefix and sampling the first token.</summary>
    public TimeSpan Prefill { get; init; }
}
