using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace Memory.Kernels;

/// <summary>
/// The inline PTX the tensor-core kernels (<see cref="MmaMatMulKernel"/>, <see cref="MmaPrefillAttentionKernel"/>) are
/// built from: ldmatrix, mma.sync m16n8k16 with fp32 accumulators, fp32 → 16-bit packing and ex2. CUDA sm_80 or newer
/// only: <see cref="CudaAsm"/> has no CPU implementation.
/// </summary>
internal static class MmaPtx
{
    private const string MmaBf16 = "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};";
    private const string MmaF16 = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};";

    /// <summary>
    /// The shared window address of the kernel's one shared allocation. ILGPU names its first shared allocation
    /// <c>__shared_alloca0</c> (1.5.3); a different name would fail at PTX assembly, not silently.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SharedBase()
    {
        Output<uint> address = default;
        CudaAsm.EmitRef("mov.u32 %0, __shared_alloca0;", ref address);
        return address.Value;
    }

    /// <summary>Four 8 × 8 matrices of 16-bit values (ldmatrix.x4): lane l receives row l / 4, columns 2·(l % 4) and + 1 of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bits128 LoadMatrices(uint address)
    {
        Output<uint> r0 = default;
        Output<uint> r1 = default;
        Output<uint> r2 = default;
        Output<uint> r3 = default;
        Input<uint> at = address;
        CudaAsm.EmitRef("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];", ref r0, ref r1, ref r2, ref r3, ref at);
        return new Bits128(r0.Value, r1.Value, r2.Value, r3.Value);
    }

    /// <summary>
    /// Four 8 × 8 matrices transposed (ldmatrix.x4.trans): lane l receives rows 2·(l % 4) and + 1 of column l / 4 of each,
    /// which is the B fragment of an mma when the matrices are stored k-major (k rows of n values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bits128 LoadMatricesTransposed(uint address)
    {
        Output<uint> r0 = default;
        Output<uint> r1 = default;
        Output<uint> r2 = default;
        Output<uint> r3 = default;
        Input<uint> at = address;
        CudaAsm.EmitRef("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];", ref r0, ref r1, ref r2, ref r3, ref at);
        return new Bits128(r0.Value, r1.Value, r2.Value, r3.Value);
    }

    /// <summary>c += A · B for one 16 × 8 × 16 tile (fp32 accumulators in place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mma<TElement>(ref MmaQuad c, Bits128 a, uint b0, uint b1)
        where TElement : struct, IMmaElement
    {
        Input<uint> ia0 = a.A;
        Input<uint> ia1 = a.B;
        Input<uint> ia2 = a.C;
        Input<uint> ia3 = a.D;
        Input<uint> ib0 = b0;
        Input<uint> ib1 = b1;
        if (default(TElement).IsBFloat16)
        {
            CudaAsm.EmitRef(MmaBf16, ref c.X, ref c.Y, ref c.Z, ref c.W, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1);
        }
        else
        {
            CudaAsm.EmitRef(MmaF16, ref c.X, ref c.Y, ref c.Z, ref c.W, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1);
        }
    }

    /// <summary>Two floats rounded (to nearest even) to the 16-bit type and packed, <paramref name="lo"/> in the low half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Pack<TElement>(float lo, float hi)
        where TElement : struct, IMmaElement
    {
        // cvt's first source goes to the upper half of the destination.
        Output<uint> d = default;
        Input<float> upper = hi;
        Input<float> lower = lo;
        if (default(TElement).IsBFloat16)
        {
            CudaAsm.EmitRef("cvt.rn.bf16x2.f32 %0, %1, %2;", ref d, ref upper, ref lower);
        }
        else
        {
            CudaAsm.EmitRef("cvt.rn.f16x2.f32 %0, %1, %2;", ref d, ref upper, ref lower);
        }

        return d.Value;
    }

    /// <summary>Four floats rounded to the 16-bit type, packed in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PackQuad<TElement>(Float4 v)
        where TElement : struct, IMmaElement =>
        Pack<TElement>(v.X, v.Y) | ((ulong)Pack<TElement>(v.Z, v.W) << 32);

    /// <summary>2^x by the special-function unit (ex2.approx, flush-to-zero): 2^−∞ = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp2(float x)
    {
        Output<float> r = default;
        Input<float> at = x;
        CudaAsm.EmitRef("ex2.approx.ftz.f32 %0, %1;", ref r, ref at);
        return r.Value;
    }
}
