namespace Memory.KvCache.Tests;

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAccelerator>
{
    public const string Name = "kv cpu accelerator";
}
