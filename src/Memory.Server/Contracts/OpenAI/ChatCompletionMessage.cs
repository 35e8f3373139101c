namespace Memory.Server.Contracts.OpenAI;

/// <summary>The assistant's message; in a stream chunk, its delta (role first, then content pieces).</summary>
internal sealed record ChatCompletionMessage(string? Role, string? Content);
