using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>Host copies of the quantiser's output for many slices of one tensor kind (keys or values).</summary>
internal sealed class QuantizedPlanes
{
    public QuantizedPlanes(int slices, int tokens, int channels, int groupSize, bool perChannel)
    {
        Tokens = tokens;
        Channels = channels;
        GroupSize = groupSize;
        PerChannel = perChannel;
        Groups = KvCodecKernels.Groups(tokens, groupSize);
        AnchorScalesPerSlice = perChannel ? channels : Groups;
        DeltaScalesPerSlice = perChannel ? channels : tokens;
        AnchorScales = new float[slices * AnchorScalesPerSlice];
        DeltaScales = new float[slices * DeltaScalesPerSlice];
        AnchorSymbols = new short[(long)slices * Groups * channels];
        DeltaSymbols = new short[(long)slices * tokens * channels];
    }

    public int Tokens { get; }

    public int Channels { get; }

    public int GroupSize { get; }

    public int Groups { get; }

    public bool PerChannel { get; }

    public int AnchorScalesPerSlice { get; }

    public int DeltaScalesPerSlice { get; }

    public float[] AnchorScales { get; }

    public float[] DeltaScales { get; }

    public short[] AnchorSymbols { get; }

    public short[] DeltaSymbols { get; }

    public byte[] EncodeSlice(int slice, int levels, int anchorLevels) => QuantizedPlaneCoder.Encode(
        AnchorScales.AsSpan(slice * AnchorScalesPerSlice, AnchorScalesPerSlice),
        DeltaScales.AsSpan(slice * DeltaScalesPerSlice, DeltaScalesPerSlice),
        AnchorSymbols.AsSpan(slice * Groups * Channels, Groups * Channels),
        DeltaSymbols.AsSpan(slice * Tokens * Channels, Tokens * Channels),
        Tokens,
        Channels,
        GroupSize,
        anchorLevels,
        levels);

    public void DecodeSlice(ReadOnlySpan<byte> section, int slice, int levels, int anchorLevels) => QuantizedPlaneCoder.Decode(
        section,
        AnchorScales.AsSpan(slice * AnchorScalesPerSlice, AnchorScalesPerSlice),
        DeltaScales.AsSpan(slice * DeltaScalesPerSlice, DeltaScalesPerSlice),
        AnchorSymbols.AsSpan(slice * Groups * Channels, Groups * Channels),
        DeltaSymbols.AsSpan(slice * Tokens * Channels, Tokens * Channels),
        Tokens,
        Channels,
        GroupSize,
        anchorLevels,
        levels);
}
