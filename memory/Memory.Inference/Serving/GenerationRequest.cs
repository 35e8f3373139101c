using Memory.Inference.Decoding;

namespace Memory.Inference.Serving;

/// <summary>One completion to generate: a tokenized prompt, how to sample, when to stop, and who asks.</summary>
/// <param name="Prompt">Token ids of the whole prompt (chat template already applied).</param>
/// <param name="Sampling">Temperature, top-k, top-p and seed.</param>
/// <param name="MaxTokens">Most tokens to generate (at least 1).</param>
/// <param name="StopTokens">Token ids that end the completion; they are not part of it.</param>
/// <param name="Origin">Tenant and conversation, recorded with any KV blocks the request produces.</param>
public sealed record GenerationRequest(
    IReadOnlyList<int> Prompt,
    SamplingOptions Sampling,
    int MaxTokens,
    IReadOnlySet<int> StopTokens,
    KvBlockOrigin Origin);
