using Memory.Conversations.Consolidation;
using Memory.Conversations.Extraction.Background;
using Memory.Conversations.Ingestion;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Memory.Conversations.Extraction;

public static class ExtractionServiceCollectionExtensions
{
    /// <summary>
    /// Registers infer=true: the "Extraction" options (validated at start-up), the chat client they choose, the
    /// extractor, consolidator and pipeline, the async_mode queue with its job statuses, and the background
    /// worker (a hosted service: it runs where a host runs, e.g. the server).
    /// </summary>
    public static IServiceCollection AddFactExtraction(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ExtractionOptions>()
            .Bind(configuration.GetSection(ExtractionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ExtractionMetrics>();
        services.TryAddSingleton<ExtractionChat>();
        services.TryAddSingleton<FactExtractor>();
        services.TryAddSingleton<MemoryConsolidator>();
        services.TryAddScoped<VerbatimIngestion>();
        services.TryAddScoped<ExtractionPipeline>();
        services.TryAddSingleton<ExtractionJobs>();
        services.TryAddSingleton<ExtractionQueue>();
        services.AddHostedService<ExtractionWorker>();
        return services;
    }
}
