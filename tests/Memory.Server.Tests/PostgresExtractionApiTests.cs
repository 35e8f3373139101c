using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>The same API flow against PostgreSQL + pgvector (MEMORY_TEST_POSTGRES, or the local test server).</summary>
public sealed class PostgresExtractionApiTests : ExtractionApiTests
{
    protected override Dictionary<string, string?> StoreSettings() => TestStores.Postgres();
}
