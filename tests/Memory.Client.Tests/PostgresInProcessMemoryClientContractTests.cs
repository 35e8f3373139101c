using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>The contract in-process over PostgreSQL + pgvector: the same answers as over the embedded store.</summary>
public sealed class PostgresInProcessMemoryClientContractTests(InProcessPostgresMemory memory) : MemoryClientContract, IClassFixture<InProcessPostgresMemory>
{
    protected override IMemoryClient Client => memory.Client;
}
