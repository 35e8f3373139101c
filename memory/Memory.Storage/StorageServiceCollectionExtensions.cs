using System.Globalization;
using Memory.Conversations.Storage;
using Memory.Storage.Postgres;
using Memory.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Memory.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMemoryStore"/> as a singleton: PostgreSQL when Storage:PostgresConnectionString is set,
    /// otherwise the SQLite file at Storage:SqlitePath. <see cref="StorageOptions"/> are bound from "Storage" and
    /// validated at start (ValidateOnStart). <see cref="PostgresMigrator"/> is registered too, for `memory migrate`.
    /// <para>
    /// Start-up: hosts call <see cref="IMemoryStore.InitializeAsync"/> once before serving (it applies migrations,
    /// checks the embedding dimension against the database, then loads the in-process indexes or, with
    /// Storage:PostgresSearch=Database, creates the database's HNSW and GIN indexes when missing), so a wrong
    /// setting stops the host with a clear message. Every store method also initialises on first use, so a
    /// host that forgets still works; it then fails on the first request instead of at start.
    /// </para>
    /// </summary>
    public static IServiceCollection AddMemoryStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(StorageOptions.SectionName);
        services.AddOptions<StorageOptions>()
            .Bind(section)
            .Configure(options =>
            {
                // Follow the embedder unless the storage section names its own dimension.
                if (section[nameof(StorageOptions.EmbeddingDimensions)] is null
                    && int.TryParse(configuration["Embeddings:Dimensions"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var dimensions))
                {
                    options.EmbeddingDimensions = dimensions;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();

        services.AddSingleton<IMemoryStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var loggerFactory = provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return options.UsesPostgres
                ? new PostgresMemoryStore(
                    options.PostgresConnectionString!, options.EmbeddingDimensions, loggerFactory, options.PostgresSearchMode, options.PostgresIndexes)
                : new SqliteMemoryStore(options.SqlitePath, options.EmbeddingDimensions, loggerFactory.CreateLogger<SqliteMemoryStore>());
        });
        services.AddSingleton(provider => provider.GetRequiredService<IMemoryStore>() switch
        {
            PostgresMemoryStore postgres => postgres.Migrator,
            _ => throw new InvalidOperationException(
                "Migrations apply to PostgreSQL only; set Storage:PostgresConnectionString (the embedded SQLite store creates its schema itself)."),
        });
        return services;
    }
}
