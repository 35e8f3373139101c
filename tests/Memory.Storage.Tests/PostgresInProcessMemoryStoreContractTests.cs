using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>The store contract against PostgreSQL with Storage:PostgresSearch=InProcess.</summary>
public sealed class PostgresInProcessMemoryStoreContractTests(PostgresInProcessStoreFixture fixture)
    : MemoryStoreContractTests, IClassFixture<PostgresInProcessStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;

    protected override async Task<IMemoryStore> OpenPeerAsync() => await fixture.OpenPeerAsync();
}
