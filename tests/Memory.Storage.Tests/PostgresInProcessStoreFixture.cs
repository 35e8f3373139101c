namespace Memory.Storage.Tests;

/// <summary>A PostgreSQL store searching through its in-process indexes (the default).</summary>
public sealed class PostgresInProcessStoreFixture : PostgresStoreFixture
{
    public override PostgresSearchMode Mode => PostgresSearchMode.InProcess;
}
