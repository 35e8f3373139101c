using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// The KV codec's quantise and dequantise kernels compiled for one accelerator. Tensors are [slices, tokens, channels]
/// (a slice is one layer of one block, so many blocks go in one launch). Launches are queued on the default stream.
/// </summary>
public sealed class KvCodecKernels
{
    private readonly Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int> _anchorScales;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, ArrayView<float>, int, int, int, int, int> _quantizeAnchors;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int> _deltaScales;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<short>, ArrayView<int>, int, int, int, int> _quantizeDeltas;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int, int, int, int> _dequantize;

    public KvCodecKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        _anchorScales = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int>(KvQuantizeKernel.AnchorScales);
        _quantizeAnchors = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, ArrayView<float>, int, int, int, int, int>(KvQuantizeKernel.QuantizeAnchors);
        _deltaScales = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>(KvQuantizeKernel.DeltaScales);
        _quantizeDeltas = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<short>, ArrayView<int>, int, int, int, int>(KvQuantizeKernel.QuantizeDeltas);
        _dequantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int, int, int, int>(KvDequantizeKernel.Run);
    }

    public Accelerator Accelerator => _accelerator;

    /// <summary>Groups of <paramref name="groupSize"/> tokens in a slice of <paramref name="tokens"/> tokens.</summary>
    public static int Groups(int tokens, int groupSize) => (tokens + groupSize - 1) / groupSize;

    /// <summary>Elements of the anchor scale array: [slices, channels] or [slices, groups].</summary>
    public static int AnchorScaleCount(int slices, int tokens, int channels, int groupSize, bool perChannel) =>
        slices * (perChannel ? channels : Groups(tokens, groupSize));

    /// <summary>Elements of the delta scale array: [slices, channels] or [slices, tokens].</summary>
    public static int DeltaScaleCount(int slices, int tokens, int channels, bool perChannel) =>
        slices * (perChannel ? channels : tokens);

    /// <summary>
    /// Quantises x [slices, tokens, channels]: anchor scales and symbols [slices, groups, channels], delta scales and
    /// symbols [slices, tokens, channels]. <paramref name="anchors"/> is scratch of [slices, groups, channels] floats.
    /// </summary>
    public void Quantize(
        ArrayView<ushort> x,
        ArrayView<int> levels,
        ArrayView<float> anchorScales,
        ArrayView<short> anchorSymbols,
        ArrayView<float> anchors,
        ArrayView<float> deltaScales,
        ArrayView<short> deltaSymbols,
        int slices,
        int tokens,
        int channels,
        int groupSize,
        bool perChannel,
        int anchorLevels)
    {
        int mode = perChannel ? 1 : 0;
        int groups = Groups(tokens, groupSize);
        _anchorScales(AnchorScaleCount(slices, tokens, channels, groupSize, perChannel), x, anchorScales, tokens, channels, groupSize, mode, anchorLevels);
        _quantizeAnchors(slices * groups * channels, x, anchorScales, anchorSymbols, anchors, tokens, channels, groupSize, mode, anchorLevels);
        _deltaScales(DeltaScaleCount(slices, tokens, channels, perChannel), x, anchors, deltaScales, levels, tokens, channels, groupSize, mode);
        _quantizeDeltas(slices * tokens * channels, x, anchors, deltaScales, deltaSymbols, levels, tokens, channels, groupSize, mode);
    }

    /// <summary>Rebuilds x [slices, tokens, channels] (fp16 bits) from the arrays <see cref="Quantize"/> wrote.</summary>
    public void Dequantize(
        ArrayView<short> anchorSymbols,
        ArrayView<float> anchorScales,
        ArrayView<short> deltaSymbols,
        ArrayView<float> deltaScales,
        ArrayView<ushort> x,
        int slices,
        int tokens,
        int channels,
        int groupSize,
        bool perChannel) =>
        _dequantize(slices * tokens * channels, anchorSymbols, anchorScales, deltaSymbols, deltaScales, x, tokens, channels, groupSize, perChannel ? 1 : 0);

    /// <summary>Waits for every queued launch.</summary>
    public void Synchronize() => _accelerator.Synchronize();
}
