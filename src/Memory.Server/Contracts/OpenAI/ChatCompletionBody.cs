using System.ComponentModel;
using System.Text.Json;
using Memory.Conversations.Errors;

namespace Memory.Server.Contracts.OpenAI;

/// <summary>Body of OpenAI's <c>POST /v1/chat/completions</c>, the fields the local model honours plus <c>top_k</c> and <c>conversation_id</c>.</summary>
internal sealed class ChatCompletionBody
{
    [Description("The served model's id (GET /v1/models).")]
    public string? Model { get; set; }

    [Description("The conversation: {role: system|user|assistant, content: text or [{type: text, text}]}.")]
    public List<ChatMessageBody>? Messages { get; set; }

    [Description("Stream the answer as server-sent events (chat.completion.chunk objects, then [DONE]).")]
    public bool? Stream { get; set; }

    public StreamOptionsBody? StreamOptions { get; set; }

    [Description("Most tokens to generate (default LocalModel:DefaultMaxTokens).")]
    public int? MaxTokens { get; set; }

    [Description("Newer name of max_tokens; wins when both are given.")]
    public int? MaxCompletionTokens { get; set; }

    [Description("0 (default) is greedy.")]
    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    [Description("Sample among the k most likely tokens (0: off). An extension; OpenAI has no top_k.")]
    public int? TopK { get; set; }

    public long? Seed { get; set; }

    [Description("A string or up to 4 strings that end the completion (not included).")]
    public JsonElement? Stop { get; set; }

    [Description("Completions per request; only 1 is supported.")]
    public int? N { get; set; }

    [Description("Not supported by the local model; a request with tools is refused.")]
    public JsonElement? Tools { get; set; }

    [Description("Recorded with the KV blocks this request computes, so DELETE /v1/kv?conversation=... removes them. An extension.")]
    public string? ConversationId { get; set; }

    /// <summary>Checks the fields; every problem is reported with its field's name.</summary>
    public void Validate()
    {
        if (Messages is not { Count: > 0 })
        {
            throw new MemoryValidationException("messages", "'messages' must hold at least one message.");
        }

        for (int i = 0; i < Messages.Count; i++)
        {
            Messages[i].Validate(i);
        }

        if (Tools is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
        {
            throw new MemoryValidationException("tools", "The local model does not support tool calls; send the request without 'tools'.");
        }

        if (N is not (null or 1))
        {
            throw new MemoryValidationException("n", "Only n = 1 is supported.");
        }

        if ((MaxCompletionTokens ?? MaxTokens) is < 1)
        {
            throw new MemoryValidationException("max_tokens", "'max_tokens' must be at least 1.");
        }

        if (Temperature is < 0 or > 2 || (Temperature is float t && !float.IsFinite(t)))
        {
            throw new MemoryValidationException("temperature", "'temperature' must be between 0 and 2.");
        }

        if (TopP is <= 0 or > 1 || (TopP is float p && !float.IsFinite(p)))
        {
            throw new MemoryValidationException("top_p", "'top_p' must be in (0, 1].");
        }

        if (TopK is < 0)
        {
            throw new MemoryValidationException("top_k", "'top_k' must not be negative.");
        }

        _ = StopSequences();
    }

    public IReadOnlyList<string> StopSequences()
    {
        var stop = Stop;
        if (stop is null || stop.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return [];
        }

        var value = stop.Value;
        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }

        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() <= 4 && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            return value.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }

        throw new MemoryValidationException("stop", "'stop' must be a string or an array of at most 4 strings.");
    }
}
