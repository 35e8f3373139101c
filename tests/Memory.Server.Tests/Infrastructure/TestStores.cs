namespace Memory.Server.Tests.Infrastructure;

/// <summary>Store settings for test hosts: a fresh SQLite file, or the test PostgreSQL server.</summary>
internal static class TestStores
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=memory;Password=memory;Database=memory_test";

    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES") is { Length: > 0 } value ? value : DefaultPostgres;

    public static Dictionary<string, string?> Sqlite()
    {
        var directory = Path.Combine(Path.GetTempPath(), "memory-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return new Dictionary<string, string?> { ["Storage:SqlitePath"] = Path.Combine(directory, "memory.db") };
    }

    public static Dictionary<string, string?> Postgres() =>
        new() { ["Storage:PostgresConnectionString"] = PostgresConnectionString };
}
