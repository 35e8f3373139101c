using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>The batch contract against PostgreSQL with Storage:PostgresSearch=Database.</summary>
public sealed class PostgresDatabaseMemoryStoreBatchContractTests(PostgresDatabaseStoreFixture fixture)
    : MemoryStoreBatchContractTests, IClassFixture<PostgresDatabaseStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;
}
