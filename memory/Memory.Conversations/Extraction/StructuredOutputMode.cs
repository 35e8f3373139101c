namespace Memory.Conversations.Extraction;

/// <summary>How the chat model is asked for JSON; the answer is parsed leniently whichever is chosen.</summary>
public enum StructuredOutputMode
{
    /// <summary>A JSON schema (OpenAI structured outputs, Ollama format); falls back to JsonObject once if the server refuses it.</summary>
    JsonSchema,

    /// <summary>Plain JSON mode (<c>response_format: json_object</c>).</summary>
    JsonObject,

    /// <summary>No response format at all, for servers that reject the parameter; the prompt still asks for JSON.</summary>
    None,
}
