namespace Memory.Storage.Tests;

/// <summary>A PostgreSQL store searching through the database's HNSW and GIN indexes.</summary>
public sealed class PostgresDatabaseStoreFixture : PostgresStoreFixture
{
    public override PostgresSearchMode Mode => PostgresSearchMode.Database;
}
