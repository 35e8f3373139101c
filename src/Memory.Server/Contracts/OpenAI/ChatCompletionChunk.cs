namespace Memory.Server.Contracts.OpenAI;

/// <summary>OpenAI's chat.completion.chunk object, one per server-sent event.</summary>
internal sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChatCompletionChunkChoice> Choices, ChatCompletionUsage? Usage = null);
