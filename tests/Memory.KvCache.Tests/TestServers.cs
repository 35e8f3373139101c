namespace Memory.KvCache.Tests;

/// <summary>The real servers started by tests/run.sh (or tests/infra/up.sh).</summary>
internal static class TestServers
{
    public static string Redis => Environment.GetEnvironmentVariable("MEMORY_TEST_REDIS") is { Length: > 0 } value ? value : "127.0.0.1:6379";

    public static string Postgres => Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES") is { Length: > 0 } value
        ? value
        : "Host=127.0.0.1;Port=5432;Username=memory;Password=memory;Database=memory_test";

    /// <summary>A loopback port where nothing listens (Redis "down").</summary>
    public static string UnreachableRedis => "127.0.0.1:1";
}
