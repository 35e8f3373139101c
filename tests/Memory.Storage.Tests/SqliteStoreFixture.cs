using Memory.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Storage.Tests;

/// <summary>One SQLite store on a fresh temporary file, shared by a test class; each test uses its own tenants.</summary>
public sealed class SqliteStoreFixture : IAsyncLifetime
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "memory-storage-tests", Guid.NewGuid().ToString("N"));

    public SqliteMemoryStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenPeerAsync();

    /// <summary>Another store instance on the same file, as a second server process would open it.</summary>
    public async Task<SqliteMemoryStore> OpenPeerAsync()
    {
        var store = new SqliteMemoryStore(Path.Combine(Directory, "memory.db"), TestVectors.Dimensions, NullLogger<SqliteMemoryStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
