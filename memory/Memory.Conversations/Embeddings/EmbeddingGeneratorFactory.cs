using Microsoft.Extensions.AI;

namespace Memory.Conversations.Embeddings;

/// <summary>Builds the configured <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.</summary>
public static class EmbeddingGeneratorFactory
{
    public static IEmbeddingGenerator<string, Embedding<float>> Create(EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            EmbeddingProvider.Hashing => new HashingEmbeddingGenerator(options.Dimensions, options.Hashing),
            EmbeddingProvider.OpenAI => CreateOpenAI(options),
            EmbeddingProvider.Ollama => CreateOllama(options),
            _ => throw new InvalidOperationException($"Unknown embedding provider {options.Provider}."),
        };
    }

    private static IEmbeddingGenerator<string, Embedding<float>> CreateOpenAI(EmbeddingOptions options) =>
        throw new NotSupportedException("The OpenAI embedding provider is being wired in; use Embeddings:Provider=Hashing.");

    private static IEmbeddingGenerator<string, Embedding<float>> CreateOllama(EmbeddingOptions options) =>
        throw new NotSupportedException("The Ollama embedding provider is being wired in; use Embeddings:Provider=Hashing.");
}
