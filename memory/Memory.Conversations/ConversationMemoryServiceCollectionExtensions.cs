using Mediator;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Extraction;
using Memory.Conversations.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Memory.Conversations;

public static class ConversationMemoryServiceCollectionExtensions
{
    /// <summary>
    /// Registers the conversation-memory engine: the source-generated Mediator with every request handler
    /// (scoped), the embedding generator chosen by "Embeddings", the validating <see cref="MemoryEmbedder"/>,
    /// fact extraction for infer=true (<see cref="ExtractionServiceCollectionExtensions.AddFactExtraction"/>),
    /// the <see cref="HybridRetriever"/> and the "Conversations", "Embeddings" and "Retrieval" options,
    /// validated at start-up. The <c>IMemoryStore</c> is not registered here: add it with
    /// <c>AddMemoryStorage(configuration)</c>.
    /// </summary>
    public static IServiceCollection AddConversationMemory(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<ConversationOptions>()
            .Bind(configuration.GetSection(ConversationOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<EmbeddingOptions>()
            .Bind(configuration.GetSection(EmbeddingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RetrievalOptions>()
            .Bind(configuration.GetSection(RetrievalOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(
            sp => EmbeddingGeneratorFactory.Create(sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value));
        services.TryAddSingleton<MemoryEmbedder>();
        services.AddFactExtraction(configuration);

        // Scoped, like the handlers: works whether the store is registered as a singleton or per scope.
        services.TryAddScoped<HybridRetriever>();
        services.AddMediator((MediatorOptions options) => options.ServiceLifetime = ServiceLifetime.Scoped);
        return services;
    }
}
