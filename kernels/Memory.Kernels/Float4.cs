namespace Memory.Kernels;

/// <summary>
/// Four consecutive floats moved by one load or store (<c>ld.shared.v4.f32</c> / <c>ld.v4.f32</c> on CUDA): a lane that
/// reads x̂ four elements at a time touches each shared-memory bank once per quarter warp, without the four-way bank
/// conflicts of four strided scalar loads.
/// </summary>
internal readonly struct Float4(float x, float y, float z, float w)
{
    public readonly float X = x;
    public readonly float Y = y;
    public readonly float Z = z;
    public readonly float W = w;
}
