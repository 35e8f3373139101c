using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// The KV codec's kernels (statistics, quantise, dequantise, lane decode) compiled for one accelerator. Tensors are
/// [slices, tokens, channels] (a slice is one layer of one block's keys or values, so many blocks go in one launch).
/// Launches are queued on the default stream. The first three are bandwidth-bound (one read and one write of each
/// element); the lane decoder runs one sequential rANS stream per thread, so it wants many lanes per launch.
/// </summary>
public sealed class KvCodecKernels
{
    private readonly Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int, int> _channelStats;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int> _quantize;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int> _dequantize;
    private readonly Action<KernelConfig, ArrayView<byte>, ArrayView<RansLane>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<byte>, ArrayView<byte>, ArrayView<short>, ArrayView<int>> _decodeLanes;
    private readonly int _laneGroupSize;

    public KvCodecKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        _channelStats = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int, int>(KvQuantizeKernel.ChannelStats);
        _quantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int>(KvQuantizeKernel.Quantize);
        _dequantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int>(KvDequantizeKernel.Run);
        _decodeLanes = accelerator.LoadStreamKernel<ArrayView<byte>, ArrayView<RansLane>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<byte>, ArrayView<byte>, ArrayView<short>, ArrayView<int>>(RansLaneDecodeKernel.Run);
        _laneGroupSize = LaneGroupSize(accelerator);
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

    /// <summary>
    /// Decodes every lane of <paramref name="lanes"/> from <paramref name="data"/> into <paramref name="q"/> and writes
    /// each lane's <see cref="RansLaneStatus"/> to <paramref name="status"/> (see <see cref="RansLaneDecodeKernel.Run"/>
    /// for the table layouts). Lanes that fail leave their part of <paramref name="q"/> unspecified.
    /// </summary>
    public void DecodeLanes(ArrayView<byte> data, ArrayView<RansLane> lanes, ArrayView<ushort> frequencies, ArrayView<ushort> starts, ArrayView<byte> slotTokens, ArrayView<byte> classTable, ArrayView<short> q, ArrayView<int> status)
    {
        if (lanes.Length == 0)
        {
            return;
        }

        int groups = checked((int)((lanes.Length + _laneGroupSize - 1) / _laneGroupSize));
        _decodeLanes(new KernelConfig(groups, _laneGroupSize), data, lanes, frequencies, starts, slotTokens, classTable, q, status);
    }

    /// <summary>Waits for every queued launch.</summary>
    public void Synchronize() => _accelerator.Synchronize();

    /// <summary>Two warps a group where the device allows: a batch's few thousand lanes then reach every multiprocessor.</summary>
    private static int LaneGroupSize(Accelerator accelerator)
    {
        int limit = Math.Min(64, accelerator.MaxNumThreadsPerGroup);
        int size = accelerator.WarpSize;
        while (size * 2 <= limit)
        {
            size *= 2;
        }

        return Math.Min(size, limit);
    }
}
