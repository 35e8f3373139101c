using Memory.KvCache.Metadata;
using Npgsql;

namespace Memory.KvCache.Tests;

/// <summary>The metadata contract on the real PostgreSQL server, in a schema of its own that is dropped afterwards.</summary>
public sealed class PostgresKvMetadataStoreTests : KvMetadataContract
{
    private readonly string _schema = "kvtest_" + Guid.NewGuid().ToString("N");

    protected override async Task<IKvMetadataStore> OpenAsync()
    {
        await using (var dataSource = NpgsqlDataSource.Create(TestServers.Postgres))
        await using (var command = dataSource.CreateCommand($"CREATE SCHEMA {_schema}"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { SearchPath = _schema };
        return new PostgresKvMetadataStore(builder.ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(TestServers.Postgres);
        await using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
