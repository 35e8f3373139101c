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
}
