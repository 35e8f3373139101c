namespace Memory.Kernels.Tests;

/// <summary>
/// A theory for kernels that exist only on CUDA (inline PTX: <see cref="MmaMatMulKernel"/>): skipped, and reported as
/// skipped, unless the tests run on the CUDA device (MEMORY_TEST_ACCELERATOR=cuda, as tools/bench/gpu_tests.sh does).
/// </summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (!CpuAcceleratorFixture.OnCuda)
        {
            Skip = "needs the CUDA device (MEMORY_TEST_ACCELERATOR=cuda)";
        }
    }
}
