using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

public sealed class SqliteMemoryStoreBatchContractTests(SqliteStoreFixture fixture) : MemoryStoreBatchContractTests, IClassFixture<SqliteStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;
}
