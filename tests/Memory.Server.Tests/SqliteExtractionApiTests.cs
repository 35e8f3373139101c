using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

public sealed class SqliteExtractionApiTests : ExtractionApiTests
{
    protected override Dictionary<string, string?> StoreSettings() => TestStores.Sqlite();
}
