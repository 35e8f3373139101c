using Memory.Conversations.Storage;
using Memory.Storage.Postgres;
using Memory.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Memory.Storage.Tests;

public sealed class StorageServiceCollectionTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddMemoryStorage(configuration).BuildServiceProvider();
    }

    [Fact]
    public async Task Without_a_connection_string_the_embedded_store_is_used_and_follows_the_embedder_dimension()
    {
        var path = Path.Combine(Path.GetTempPath(), "memory-storage-tests", Guid.NewGuid().ToString("N"), "memory.db");
        await using var provider = Build(new() { ["Storage:SqlitePath"] = path, ["Embeddings:Dimensions"] = "64" });

        var store = provider.GetRequiredService<IMemoryStore>();

        Assert.IsType<SqliteMemoryStore>(store);
        Assert.Same(store, provider.GetRequiredService<IMemoryStore>());
        Assert.Equal(64, provider.GetRequiredService<IOptions<StorageOptions>>().Value.EmbeddingDimensions);
        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<PostgresMigrator>());
        await store.InitializeAsync(CancellationToken.None);
        Assert.True(await store.PingAsync(CancellationToken.None));
        await provider.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public async Task A_connection_string_selects_postgres_and_its_migrator()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var provider = Build(new()
        {
            ["Storage:PostgresConnectionString"] = database.ConnectionString,
            ["Storage:EmbeddingDimensions"] = "24",
            ["Embeddings:Dimensions"] = "64",
        });

        var store = provider.GetRequiredService<IMemoryStore>();
        var applied = await provider.GetRequiredService<PostgresMigrator>().MigrateAsync(CancellationToken.None);

        Assert.IsType<PostgresMemoryStore>(store);
        Assert.Equal(24, provider.GetRequiredService<IOptions<StorageOptions>>().Value.EmbeddingDimensions);
        Assert.Equal(PostgresMigrator.KnownMigrations, applied);
        await store.InitializeAsync(CancellationToken.None);
        Assert.True(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:EmbeddingDimensions"] = "0" });
        builder.Services.AddMemoryStorage(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Storage:EmbeddingDimensions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Indexed", "Storage:PostgresSearch must be one of InProcess, Database (got 'Indexed')")]
    [InlineData("1", "Storage:PostgresSearch must be one of InProcess, Database (got '1')")]
    [InlineData(" ", "Storage:PostgresSearch must be one of InProcess, Database")]
    public async Task An_unknown_search_mode_stops_the_host_at_start_with_its_name(string mode, string expected)
    {
        var error = await StartFailsAsync(new() { ["Storage:PostgresSearch"] = mode });

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_index_settings_stop_the_host_at_start_each_with_its_name()
    {
        var error = await StartFailsAsync(new()
        {
            ["Storage:PostgresIndexes:HnswM"] = "200",
            ["Storage:PostgresIndexes:HnswEfConstruction"] = "10",
            ["Storage:PostgresIndexes:HnswEfSearch"] = "0",
            ["Storage:PostgresIndexes:TextSearchConfig"] = "English; --",
        });

        Assert.Contains("Storage:PostgresIndexes:HnswM must be between 2 and 100 (got 200)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:PostgresIndexes:HnswEfConstruction", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:PostgresIndexes:HnswEfSearch", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:PostgresIndexes:TextSearchConfig", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_search_mode_and_index_settings_reach_the_postgres_store()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var provider = Build(new()
        {
            ["Storage:PostgresConnectionString"] = database.ConnectionString,
            ["Storage:EmbeddingDimensions"] = "24",
            ["Storage:PostgresSearch"] = "database",
            ["Storage:PostgresIndexes:HnswM"] = "12",
            ["Storage:PostgresIndexes:HnswEfConstruction"] = "48",
        });

        var store = Assert.IsType<PostgresMemoryStore>(provider.GetRequiredService<IMemoryStore>());
        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal(PostgresSearchMode.Database, store.SearchMode);
        var hnsw = Assert.Single(await PostgresSearchIndexes.FindAsync(store.DataSource, CancellationToken.None), index => index.Method == "hnsw");
        Assert.Contains("m=12", hnsw.Options);
        Assert.Contains("ef_construction=48", hnsw.Options);
    }

    [Fact]
    public void The_search_mode_is_in_process_unless_configured()
    {
        var options = new StorageOptions();

        Assert.Equal(PostgresSearchMode.InProcess, options.PostgresSearchMode);
        Assert.Empty(options.Validate());
    }

    private static async Task<OptionsValidationException> StartFailsAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMemoryStorage(builder.Configuration);
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }
}
