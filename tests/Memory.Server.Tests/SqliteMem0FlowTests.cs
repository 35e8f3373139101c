using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

public sealed class SqliteMem0FlowTests : Mem0FlowTests
{
    protected override Dictionary<string, string?> StoreSettings() => TestStores.Sqlite();
}
