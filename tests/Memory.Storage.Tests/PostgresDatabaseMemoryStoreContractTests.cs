using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>The store contract against PostgreSQL with Storage:PostgresSearch=Database.</summary>
public sealed class PostgresDatabaseMemoryStoreContractTests(PostgresDatabaseStoreFixture fixture)
    : MemoryStoreContractTests, IClassFixture<PostgresDatabaseStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;

    protected override async Task<IMemoryStore> OpenPeerAsync() => await fixture.OpenPeerAsync();
}
