namespace Memory.Storage.Tests;

/// <summary><see cref="PostgresMemoryStoreTests{TFixture}"/> with Storage:PostgresSearch=Database.</summary>
public sealed class PostgresDatabaseMemoryStoreTests(PostgresDatabaseStoreFixture fixture)
    : PostgresMemoryStoreTests<PostgresDatabaseStoreFixture>(fixture);
