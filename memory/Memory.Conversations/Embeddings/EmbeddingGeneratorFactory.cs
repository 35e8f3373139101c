using System.ClientModel;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using OpenAI.Embeddings;

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

    private static IEmbeddingGenerator<string, Embedding<float>> CreateOpenAI(EmbeddingOptions options)
    {
        var clientOptions = new OpenAIClientOptions { NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
        if (!string.IsNullOrWhiteSpace(options.Endpoint))
        {
            clientOptions.Endpoint = new Uri(options.Endpoint);
        }

        // Local OpenAI-compatible servers often need no key, but the client insists on one.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "no-key" : options.ApiKey;
        var client = new EmbeddingClient(options.Model, new ApiKeyCredential(key), clientOptions);

        // No dimensions are sent: many compatible servers reject the parameter; the length is checked on return.
        return client.AsIEmbeddingGenerator();
    }

    private static OllamaApiClient CreateOllama(EmbeddingOptions options)
    {
        var http = new HttpClient
        {
            BaseAddress = new Uri(options.Endpoint!),
            Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        };
        return new OllamaApiClient(http, options.Model!);
    }
}
