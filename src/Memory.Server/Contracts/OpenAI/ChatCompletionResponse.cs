namespace Memory.Server.Contracts.OpenAI;

/// <summary>OpenAI's chat.completion object.</summary>
internal sealed record ChatCompletionResponse(string Id, string Object, long Created, string Model, IReadOnlyList<ChatCompletionChoice> Choices, ChatCompletionUsage Usage);
