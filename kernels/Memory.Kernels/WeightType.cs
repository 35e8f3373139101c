namespace Memory.Kernels;

/// <summary>
/// Element encodings a weight buffer can hold. Weights stay in their checkpoint encoding on the device and are widened
/// to fp32 inside each kernel, so a 16-bit checkpoint costs 16 bits per weight of memory traffic.
/// Every weight buffer is a view of 16-bit words; fp32 weights take two words per element (little-endian).
/// </summary>
public static class WeightType
{
    /// <summary>No tensor (an absent bias).</summary>
    public const int None = -1;

    /// <summary>IEEE binary32, two 16-bit words per element.</summary>
    public const int Float32 = 0;

    /// <summary>IEEE binary16.</summary>
    public const int Float16 = 1;

    /// <summary>bfloat16 (the upper half of a binary32).</summary>
    public const int BFloat16 = 2;

    /// <summary>16-bit words one element of <paramref name="type"/> takes.</summary>
    public static int WordsPerElement(int type) => type == Float32 ? 2 : 1;
}
