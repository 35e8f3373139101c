namespace Memory.Server.Contracts.OpenAI;

/// <summary>OpenAI's prompt_tokens_details.</summary>
internal sealed record PromptTokensDetails(int CachedTokens);
