using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>The batch contract against PostgreSQL with Storage:PostgresSearch=InProcess.</summary>
public sealed class PostgresInProcessMemoryStoreBatchContractTests(PostgresInProcessStoreFixture fixture)
    : MemoryStoreBatchContractTests, IClassFixture<PostgresInProcessStoreFixture>
{
    protected override IMemoryStore Store => fixture.Store;
}
