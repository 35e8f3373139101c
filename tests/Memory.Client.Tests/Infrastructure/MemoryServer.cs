namespace Memory.Client.Tests.Infrastructure;

/// <summary>One server per test class (xunit class fixture).</summary>
public sealed class MemoryServer : IDisposable
{
    public MemoryServerFactory Factory { get; } = new MemoryServerFactory().Start();

    public void Dispose() => Factory.Dispose();
}
