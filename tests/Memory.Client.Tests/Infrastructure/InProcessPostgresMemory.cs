namespace Memory.Client.Tests.Infrastructure;

/// <summary>The in-process engine over the test PostgreSQL + pgvector server (MEMORY_TEST_POSTGRES, or the default test database).</summary>
public sealed class InProcessPostgresMemory : InProcessMemory
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES") is { Length: > 0 } value ? value : DefaultPostgres;

    protected override Dictionary<string, string?> StoreSettings(string directory) =>
        new() { ["Storage:PostgresConnectionString"] = ConnectionString };
}
