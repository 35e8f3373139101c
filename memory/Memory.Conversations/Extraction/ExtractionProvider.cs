namespace Memory.Conversations.Extraction;

/// <summary>Which chat model extracts and consolidates facts for <c>infer: true</c>.</summary>
public enum ExtractionProvider
{
    /// <summary>No chat model: <c>infer: true</c> is refused (501) and nothing is stored.</summary>
    None,

    /// <summary>Any OpenAI-compatible <c>/chat/completions</c> endpoint (OpenAI, Azure OpenAI, vLLM, llama.cpp, LM Studio).</summary>
    OpenAI,

    /// <summary>An Ollama server's chat API.</summary>
    Ollama,

    /// <summary>
    /// This process's local model (Decoder:ModelDirectory): the keyed <c>IChatClient</c> "local" that the server registers.
    /// Its JSON is not constrained by a schema, so the lenient parsing and the retry do the work.
    /// </summary>
    Local,
}
