using Memory.KvCache.Metadata;

namespace Memory.KvCache.Tests;

public sealed class SqliteKvMetadataStoreTests : KvMetadataContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kv-meta-").FullName;

    protected override Task<IKvMetadataStore> OpenAsync() => Task.FromResult<IKvMetadataStore>(new SqliteKvMetadataStore(Path.Combine(_directory, "memory.db")));

    public override Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
