using Memory.Conversations.Model;
using Memory.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pgvector.Npgsql;

namespace Memory.Storage.Tests;

public sealed class PostgresMigratorTests
{
    private static NpgsqlDataSource DataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        return builder.Build();
    }

    [Fact]
    public async Task Migrations_apply_once_in_order_and_a_second_run_applies_nothing()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = DataSource(database.ConnectionString);
        var migrator = new PostgresMigrator(dataSource, 16, NullLogger<PostgresMigrator>.Instance);

        var first = await migrator.MigrateAsync(CancellationToken.None);
        var second = await migrator.MigrateAsync(CancellationToken.None);

        Assert.NotEmpty(first);
        Assert.Equal(PostgresMigrator.KnownMigrations, first);
        Assert.Contains("0001_initial", first);
        Assert.Empty(second);
        await using var command = dataSource.CreateCommand("SELECT name FROM schema_migrations ORDER BY name");
        var recorded = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            recorded.Add(reader.GetString(0));
        }

        Assert.Equal(first, recorded);
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_migration_exactly_once()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var dataSources = Enumerable.Range(0, 4).Select(_ => DataSource(database.ConnectionString)).ToList();
        try
        {
            var runs = await Task.WhenAll(dataSources.Select(ds =>
                new PostgresMigrator(ds, 16, NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None)));

            Assert.Equal(PostgresMigrator.KnownMigrations, runs.SelectMany(applied => applied).Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_store_with_another_dimension_than_the_database_fails_to_start_with_a_clear_message()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using (var store = new PostgresMemoryStore(database.ConnectionString, 16, NullLoggerFactory.Instance))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await using var mismatched = new PostgresMemoryStore(database.ConnectionString, 32, NullLoggerFactory.Instance);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => mismatched.InitializeAsync(CancellationToken.None));
        Assert.Contains("vector(16)", error.Message, StringComparison.Ordinal);
        Assert.Contains("EmbeddingDimensions is 32", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => mismatched.CountAsync("t", CancellationToken.None));
    }

    [Fact]
    public async Task A_restarted_store_sees_what_the_first_one_wrote()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var tenant = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, new MemoryScope("u", null, null), "persistent fact", TestVectors.Random(1));
        await using (var store = new PostgresMemoryStore(database.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance))
        {
            await store.AddAsync([memory], "api", CancellationToken.None);
        }

        await using var restarted = new PostgresMemoryStore(database.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance);
        await restarted.InitializeAsync(CancellationToken.None);
        var found = await restarted.SearchByVectorAsync(tenant, new MemoryScope("u", null, null), memory.Embedding, MetadataFilter.None, 5, CancellationToken.None);
        Assert.Equal([memory.Id], found.Select(f => f.Memory.Id));
    }
}
