namespace Memory.Kernels;

/// <summary>
/// Sixteen bytes read by one load: eight 16-bit weights. ILGPU's PTX backend turns a load of this four-field structure
/// into one 128-bit <c>ld.v4</c>, so a lane gets eight weights per memory instruction instead of four (or one).
/// </summary>
internal readonly struct Bits128(uint a, uint b, uint c, uint d)
{
    public readonly uint A = a;
    public readonly uint B = b;
    public readonly uint C = c;
    public readonly uint D = d;
}
