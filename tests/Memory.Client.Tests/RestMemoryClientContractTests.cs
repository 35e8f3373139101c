using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>The contract over HTTP: <see cref="MemoryClient"/> against the real server.</summary>
public sealed class RestMemoryClientContractTests(MemoryServer server) : MemoryClientContract, IClassFixture<MemoryServer>
{
    protected override IMemoryClient Client { get; } = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);
}
