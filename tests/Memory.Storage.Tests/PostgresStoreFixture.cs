using Memory.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Storage.Tests;

/// <summary>One PostgreSQL store on a fresh schema, shared by a test class; each test uses its own tenants.</summary>
public sealed class PostgresStoreFixture : IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    public PostgresMemoryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        Store = await OpenPeerAsync();
    }

    /// <summary>Another store instance on the same schema, as a second server process would open it.</summary>
    public async Task<PostgresMemoryStore> OpenPeerAsync()
    {
        var store = new PostgresMemoryStore(_database!.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
