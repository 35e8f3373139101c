using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>The contract in-process: <c>InProcessMemoryClient</c> over the engine's Mediator requests.</summary>
public sealed class InProcessMemoryClientContractTests(InProcessMemory memory) : MemoryClientContract, IClassFixture<InProcessMemory>
{
    protected override IMemoryClient Client => memory.Client;
}
