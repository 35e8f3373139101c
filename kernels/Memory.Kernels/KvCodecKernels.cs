using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// The KV codec's quantise and dequantise kernels compiled for one accelerator. Tensors are [slices, tokens, channels]
/// (a slice is one layer of one block's keys or values, so many blocks go in one launch). Launches are queued on the
/// default stream. All three are bandwidth-bound: one read and one write of each element.
/// </summary>
public sealed class KvCodecKernels
{
    private readonly Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int, int> _channelStats;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int> _quantize;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int> _dequantize;

    public KvCodecKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        _channelStats = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int, int>(KvQuantizeKernel.ChannelStats);
        _quantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int>(KvQuantizeKernel.Quantize);
        _dequantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int>(KvDequantizeKernel.Run);
    }

    public Accelerator Accelerator => _accelerator;

    /// <summary>Per-(slice, channel) statistics of x: <see cref="KvQuantizeKernel.StatsPerChannel"/> floats each.</summary>
    public void ChannelStats(ArrayView<ushort> x, ArrayView<float> stats, int slices, int tokens, int channels) =>
        _channelStats(slices * channels, x, stats, tokens, channels);

    /// <summary>q = round(x / steps[slice]) over [slices, tokens, channels].</summary>
    public void Quantize(ArrayView<ushort> x, ArrayView<float> steps, ArrayView<short> q, int slices, int tokens, int channels) =>
        _quantize(checked(slices * tokens * channels), x, steps, q, tokens * channels);

    /// <summary>x = fp16(q · steps[slice]) over [slices, tokens, channels].</summary>
    public void Dequantize(ArrayView<short> q, ArrayView<float> steps, ArrayView<ushort> x, int slices, int tokens, int channels) =>
        _dequantize(checked(slices * tokens * channels), q, steps, x, tokens * channels);

    /// <summary>Waits for every queued launch.</summary>
    public void Synchronize() => _accelerator.Synchronize();
}
