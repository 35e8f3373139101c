using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

public sealed class SqliteMemoryStoreContractTests(SqliteStoreFixture fixture) : MemoryStoreContractTests, IClassFixture<SqliteStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;

    protected override async Task<IMemoryStore> OpenPeerAsync() => await fixture.OpenPeerAsync();
}
