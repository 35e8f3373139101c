using Memory.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Storage.Tests;

/// <summary>
/// One PostgreSQL store on a fresh schema, shared by a test class; each test uses its own tenants. One subclass per
/// search mode (<see cref="PostgresInProcessStoreFixture"/>, <see cref="PostgresDatabaseStoreFixture"/>), so the same
/// test classes run against both.
/// </summary>
public abstract class PostgresStoreFixture : IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    public abstract PostgresSearchMode Mode { get; }

    public PostgresMemoryStore Store { get; private set; } = null!;

    /// <summary>The fresh schema's connection string (for peers with other settings and for direct SQL).</summary>
    public string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        Store = await OpenPeerAsync();
    }

    /// <summary>Another store instance on the same schema, as a second server process would open it.</summary>
    public async Task<PostgresMemoryStore> OpenPeerAsync()
    {
        var store = new PostgresMemoryStore(_database!.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance, Mode);
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
