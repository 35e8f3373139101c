namespace Memory.Kernels.Tests;

[CollectionDefinition(Name)]
public sealed class AcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "cpu accelerator";
}
