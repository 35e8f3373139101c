namespace Memory.Server.Contracts.OpenAI;

/// <summary>A chunk's choice: the delta, and the finish reason on the last content chunk.</summary>
internal sealed record ChatCompletionChunkChoice(int Index, ChatCompletionMessage Delta, string? FinishReason);
