using System.Runtime.CompilerServices;
using ILGPU;

namespace Memory.Kernels;

/// <summary>fp16 values held as raw bits (the KV cache's element, loaded several at a time) widened to fp32 by the hardware conversion.</summary>
internal static class HalfBits
{
    /// <summary>The fp16 value in the low 16 bits of <paramref name="bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(uint bits) => (float)Interop.IntAsFloat((ushort)bits);

    /// <summary>Value <paramref name="component"/> (0–3) of four fp16 values packed lowest first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ulong bits, int component) => ToFloat((uint)(bits >> (16 * component)));

    /// <summary>Four fp16 values packed lowest first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 Widen(ulong bits) =>
        new(ToFloat((uint)bits), ToFloat((uint)(bits >> 16)), ToFloat((uint)(bits >> 32)), ToFloat((uint)(bits >> 48)));
}
