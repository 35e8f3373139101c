namespace Memory.Kernels;

/// <summary>Two floats moved by one 64-bit load or store (ILGPU emits <c>v2</c> accesses for a two-field structure).</summary>
internal readonly struct Float2(float x, float y)
{
    public readonly float X = x;
    public readonly float Y = y;
}
