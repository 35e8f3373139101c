using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

public sealed class PostgresMemoryStoreContractTests(PostgresStoreFixture fixture) : MemoryStoreContractTests, IClassFixture<PostgresStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;

    protected override async Task<IMemoryStore> OpenPeerAsync() => await fixture.OpenPeerAsync();
}
