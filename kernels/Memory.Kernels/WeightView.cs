using ILGPU;

namespace Memory.Kernels;

/// <summary>A device buffer of weights and the encoding of its elements (see <see cref="WeightType"/>).</summary>
public readonly record struct WeightView(ArrayView<ushort> Data, int Type)
{
    /// <summary>True when the view holds a tensor (false for an absent bias).</summary>
    public bool IsPresent => Type != WeightType.None;
}
