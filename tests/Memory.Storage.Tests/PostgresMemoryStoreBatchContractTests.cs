using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

public sealed class PostgresMemoryStoreBatchContractTests(PostgresStoreFixture fixture) : MemoryStoreBatchContractTests, IClassFixture<PostgresStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;
}
