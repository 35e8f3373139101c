using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// The KV codec's kernels (statistics, quantise, dequantise, prediction, lane encode and decode) compiled for one accelerator. Tensors are
/// [slices, tokens, channels] (a slice is one layer of one block's keys or values, so many blocks go in one launch).
/// Launches are queued on the default stream. The first three are bandwidth-bound (one read and one write of each
/// element); the lane encoder and decoder run one sequential rANS stream per thread, so they want many lanes per launch.
/// </summary>
public sealed class KvCodecKernels
{
    private readonly Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int, int> _channelStats;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int> _quantize;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int> _dequantize;
    private readonly Action<KernelConfig, ArrayView<byte>, ArrayView<RansLane>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<byte>, ArrayView<byte>, ArrayView<short>, ArrayView<int>> _decodeLanes;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<byte>, ArrayView<uint>, int, int> _choosePredictors;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<uint>, ArrayView<int>, int, int> _estimates;
    private readonly Action<Index1D, ArrayView<short>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, ArrayView<int>, int, int> _residuals;
    private readonly Action<KernelConfig, ArrayView<RansEncodeLane>, ArrayView<int>, ArrayView<int>, ArrayView<byte>, ArrayView<uint>, ArrayView<byte>, ArrayView<int>> _encodeLanes;
    private readonly Action<KernelConfig, ArrayView<RansEncodeLane>, ArrayView<int>, ArrayView<long>, ArrayView<byte>, ArrayView<byte>> _gatherLanes;
    private readonly int _laneGroupSize;
    private readonly int _gatherGroupSize;

    public KvCodecKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        _channelStats = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int, int>(KvQuantizeKernel.ChannelStats);
        _quantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<short>, int>(KvQuantizeKernel.Quantize);
        _dequantize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<float>, ArrayView<ushort>, int>(KvDequantizeKernel.Run);
        _decodeLanes = accelerator.LoadStreamKernel<ArrayView<byte>, ArrayView<RansLane>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<byte>, ArrayView<byte>, ArrayView<short>, ArrayView<int>>(RansLaneDecodeKernel.Run);
        _choosePredictors = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<byte>, ArrayView<uint>, int, int>(KvResidualKernel.ChoosePredictors);
        _estimates = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<uint>, ArrayView<int>, int, int>(KvResidualKernel.Estimates);
        _residuals = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<short>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, ArrayView<int>, int, int>(KvResidualKernel.Residuals);
        _encodeLanes = accelerator.LoadStreamKernel<ArrayView<RansEncodeLane>, ArrayView<int>, ArrayView<int>, ArrayView<byte>, ArrayView<uint>, ArrayView<byte>, ArrayView<int>>(RansLaneEncodeKernel.Run);
        _gatherLanes = accelerator.LoadStreamKernel<ArrayView<RansEncodeLane>, ArrayView<int>, ArrayView<long>, ArrayView<byte>, ArrayView<byte>>(RansLaneEncodeKernel.Gather);
        _laneGroupSize = LaneGroupSize(accelerator);
        _gatherGroupSize = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
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

    /// <summary>
    /// The encoder's prediction step over grid values [slices, tokens, channels]: per (slice, channel) predictor modes and
    /// their sums of |residual|, per slice the two initial estimates, then a residual record per element (see
    /// <see cref="KvResidualKernel"/>). <paramref name="sums"/> is scratch of slices · channels.
    /// </summary>
    public void Residuals(ArrayView<short> q, ArrayView<byte> modes, ArrayView<uint> sums, ArrayView<int> estimates, ArrayView<byte> classTable, ArrayView<int> records, int slices, int tokens, int channels)
    {
        int columns = checked(slices * channels);
        _choosePredictors(columns, q, modes, sums, tokens, channels);
        _estimates(slices, q, sums, estimates, tokens, channels);
        _residuals(columns, q, modes, estimates, classTable, records, tokens, channels);
    }

    /// <summary>
    /// rANS-codes every lane of <paramref name="lanes"/> from its records into its region of <paramref name="output"/>;
    /// each lane's stream length (or <see cref="RansLaneEncodeKernel.Overflow"/>) goes to <paramref name="lengths"/>
    /// (see <see cref="RansLaneEncodeKernel.Run"/> for the symbol table's layout).
    /// </summary>
    public void EncodeLanes(ArrayView<RansEncodeLane> lanes, ArrayView<int> records, ArrayView<int> estimates, ArrayView<byte> classTable, ArrayView<uint> symbols, ArrayView<byte> output, ArrayView<int> lengths)
    {
        if (lanes.Length == 0)
        {
            return;
        }

        int groups = checked((int)((lanes.Length + _laneGroupSize - 1) / _laneGroupSize));
        _encodeLanes(new KernelConfig(groups, _laneGroupSize), lanes, records, estimates, classTable, symbols, output, lengths);
    }

    /// <summary>Copies each lane's stream (its region's last lengths[lane] bytes) to <paramref name="packed"/> at offsets[lane]; negative lengths are skipped.</summary>
    public void GatherLanes(ArrayView<RansEncodeLane> lanes, ArrayView<int> lengths, ArrayView<long> offsets, ArrayView<byte> output, ArrayView<byte> packed)
    {
        if (lanes.Length == 0)
        {
            return;
        }

        _gatherLanes(new KernelConfig(checked((int)lanes.Length), _gatherGroupSize), lanes, lengths, offsets, output, packed);
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
