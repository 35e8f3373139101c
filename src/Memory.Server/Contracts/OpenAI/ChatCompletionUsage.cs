namespace Memory.Server.Contracts.OpenAI;

/// <summary>Token counts; cached_tokens are prompt tokens whose KV came from the KV cache instead of a prefill.</summary>
internal sealed record ChatCompletionUsage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails);
