using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>The same flow against PostgreSQL + pgvector (MEMORY_TEST_POSTGRES, or the local test server).</summary>
public sealed class PostgresMem0FlowTests : Mem0FlowTests
{
    protected override Dictionary<string, string?> StoreSettings() => TestStores.Postgres();
}
