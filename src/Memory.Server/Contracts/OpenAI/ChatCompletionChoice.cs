namespace Memory.Server.Contracts.OpenAI;

/// <summary>The one choice of a completion (n = 1).</summary>
internal sealed record ChatCompletionChoice(int Index, ChatCompletionMessage Message, string FinishReason, object? Logprobs = null);
