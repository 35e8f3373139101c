using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// The tensor-core kernels — <see cref="MmaMatMulKernel"/>'s two instantiations (bf16, fp16) and
/// <see cref="MmaPrefillAttentionKernel"/> — compiled for one CUDA accelerator by a private compile-only ILGPU context at
/// <see cref="OptimizationLevel.O2"/>, then loaded into the accelerator's own context.
/// </summary>
/// <remarks>
/// Why not the accelerator's context: the inline PTX takes its operands by reference, so ILGPU stages every mma
/// accumulator and fragment in a local variable; only O2 infers that x, W and y are global memory (ld.global instead of
/// generic ld/st), and only then can ptxas prove that no store reaches those locals and keep them in registers. At the
/// default O1 the same kernel had a 1,264-byte stack frame with local loads and stores around every mma (ptxas 11.8,
/// sm_90); at O2 it has none (95 registers). The decoder's other kernels stay at their context's level.
/// </remarks>
internal sealed class MmaKernels : IDisposable
{
    private readonly Context _compiler;
    private readonly Kernel _bf16;
    private readonly Kernel _f16;
    private readonly Kernel _attention;

    public MmaKernels(CudaAccelerator accelerator)
    {
        _compiler = Context.Create(builder => builder.Math(MathMode.Default).Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(_compiler, accelerator.Architecture, accelerator.InstructionSet, null!);
        _bf16 = Compile(accelerator, backend, (Action<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape>)MmaMatMulKernel.Run<MmaBFloat16>);
        _f16 = Compile(accelerator, backend, (Action<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape>)MmaMatMulKernel.Run<MmaFloat16>);
        _attention = Compile(accelerator, backend, (Action<ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape>)MmaPrefillAttentionKernel.Run);
        BFloat16 = Launcher(accelerator, _bf16);
        Float16 = Launcher(accelerator, _f16);
        var attention = _attention.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape>>();
        PrefillAttention = (config, q, k, v, positions, tableOffsets, blockTable, output, scratch, tokens, shape) =>
            attention(accelerator.DefaultStream, config, q, k, v, positions, tableOffsets, blockTable, output, scratch, tokens, shape);
    }

    /// <summary>The bf16 kernel on the accelerator's default stream (the same arguments as <see cref="TiledMatMulKernel.Run"/>).</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape> BFloat16 { get; }

    /// <summary>The fp16 kernel on the accelerator's default stream.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape> Float16 { get; }

    /// <summary>The prefill attention for head dimension 64 (the same arguments as <see cref="PrefillAttentionKernel.Run"/>).</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape> PrefillAttention { get; }

    public void Dispose()
    {
        _attention.Dispose();
        _bf16.Dispose();
        _f16.Dispose();
        _compiler.Dispose();
    }

    private static Kernel Compile(CudaAccelerator accelerator, PTXBackend backend, Delegate run)
    {
        var compiled = backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(run.Method), KernelSpecialization.Empty);
        return accelerator.LoadKernel(compiled);
    }

    private static Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape> Launcher(Accelerator accelerator, Kernel kernel)
    {
        var launch = kernel.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape>>();
        return (config, x, w, bias, norm, inverseRms, y, shape) => launch(accelerator.DefaultStream, config, x, w, bias, norm, inverseRms, y, shape);
    }
}
