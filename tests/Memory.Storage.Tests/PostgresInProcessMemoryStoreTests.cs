namespace Memory.Storage.Tests;

/// <summary><see cref="PostgresMemoryStoreTests{TFixture}"/> with Storage:PostgresSearch=InProcess.</summary>
public sealed class PostgresInProcessMemoryStoreTests(PostgresInProcessStoreFixture fixture)
    : PostgresMemoryStoreTests<PostgresInProcessStoreFixture>(fixture);
