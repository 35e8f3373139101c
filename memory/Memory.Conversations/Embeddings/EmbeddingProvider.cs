namespace Memory.Conversations.Embeddings;

/// <summary>Where embeddings come from.</summary>
public enum EmbeddingProvider
{
    /// <summary>The deterministic local feature-hashing embedder; needs no model file and no network.</summary>
    Hashing,

    /// <summary>Any OpenAI-compatible <c>/embeddings</c> endpoint.</summary>
    OpenAI,

    /// <summary>An Ollama server's embedding API.</summary>
    Ollama,
}
