using ILGPU;
using ILGPU.Runtime;
using Memory.Inference.Decoding;
using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// Encodes quantised sections on an accelerator, the grid values never leaving it: the planes go up once (page-locked
/// staging), <see cref="KvQuantizeKernel"/> gives their statistics (the host turns them into steps: a few floats per
/// channel come back) and grid values, <see cref="KvResidualKernel"/> chooses predictors and writes residual records,
/// <see cref="RansLaneEncodeKernel"/> codes every lane of every section in one launch, each into its own region of a
/// bounded size, and packs the streams back to back; the host gets lane lengths, predictors, estimates and the packed
/// streams, and writes each section's front. The bytes equal <see cref="QuantizedPlaneCoder.Encode"/>'s for the same grid
/// values and step. A section with a lane longer than its region (<see cref="CapacityBits"/> a residual, more than
/// fp16 itself for the default) is re-encoded by the host encoder from the device's grid values, so it comes out the
/// same; <see cref="HostFallbacks"/> counts them. Device buffers and staging are reused across batches. Not
/// thread-safe: the codec serialises device work.
/// </summary>
internal sealed class DeviceLaneEncoder : IDisposable
{
    /// <summary>Capacity of a lane's region by default, in bits a residual (plus its final state): fp16's size.</summary>
    public const int DefaultCapacityBits = 16;

    /// <summary>
    /// Grid values encoded per launch at most. Per element the device holds the fp16 plane, the grid value, a 4-byte
    /// record and the lane regions (2 bytes by default): about 10 bytes, so 1.3 GB at this bound.
    /// </summary>
    private const long MaxElementsPerLaunch = 1L << 27;

    private readonly KvCodecKernels _kernels;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _classTable;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _symbols;
    private readonly DeviceStaging<ushort> _planes;
    private readonly DeviceStaging<float> _stats;
    private readonly DeviceStaging<float> _steps;
    private readonly DeviceStaging<short> _grid;
    private readonly DeviceStaging<byte> _modes;
    private readonly DeviceStaging<uint> _sums;
    private readonly DeviceStaging<int> _estimates;
    private readonly DeviceStaging<int> _records;
    private readonly DeviceStaging<RansEncodeLane> _lanes;
    private readonly DeviceStaging<int> _lengths;
    private readonly DeviceStaging<long> _offsets;
    private readonly DeviceStaging<byte> _regions;
    private readonly DeviceStaging<byte> _packed;

    public DeviceLaneEncoder(KvCodecKernels kernels, int capacityBits = DefaultCapacityBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityBits, 64);
        _kernels = kernels;
        CapacityBits = capacityBits;
        var accelerator = kernels.Accelerator;
        _planes = new DeviceStaging<ushort>(accelerator);
        _stats = new DeviceStaging<float>(accelerator);
        _steps = new DeviceStaging<float>(accelerator);
        _grid = new DeviceStaging<short>(accelerator);
        _modes = new DeviceStaging<byte>(accelerator);
        _sums = new DeviceStaging<uint>(accelerator);
        _estimates = new DeviceStaging<int>(accelerator);
        _records = new DeviceStaging<int>(accelerator);
        _lanes = new DeviceStaging<RansEncodeLane>(accelerator);
        _lengths = new DeviceStaging<int>(accelerator);
        _offsets = new DeviceStaging<long>(accelerator);
        _regions = new DeviceStaging<byte>(accelerator);
        _packed = new DeviceStaging<byte>(accelerator);
    }

    /// <summary>Bits a residual of a lane's output region (beyond its 4-byte state).</summary>
    public int CapacityBits { get; }

    /// <summary>Sections re-encoded on the host because a lane outgrew its region, since construction.</summary>
    public long HostFallbacks { get; private set; }

    /// <summary>
    /// Quantises and encodes <paramref name="planes"/> (each [tokens, channels] fp16 bits) with their relative steps
    /// (<see cref="PlaneQuantizer.Step"/>); returns one section each. The caller holds the device and has bound it.
    /// </summary>
    public byte[][] Encode(IReadOnlyList<ReadOnlyMemory<ushort>> planes, IReadOnlyList<double> relativeSteps, int tokens, int channels)
    {
        var sections = new byte[planes.Count][];
        foreach (var (first, count) in Launches(planes.Count, tokens, channels))
        {
            int plane = tokens * channels;
            long elements = (long)count * plane;
            var host = _planes.Host(elements);
            Parallel.For(0, count, s => planes[first + s].Span.CopyTo(host.AsSpan(s * plane, plane)));
            var x = _planes.Upload(elements);
            int statsPerSlice = channels * KvQuantizeKernel.StatsPerChannel;
            var stats = _stats.Device((long)count * statsPerSlice);
            _kernels.ChannelStats(x, stats, count, tokens, channels);
            var hostStats = _stats.Download(stats);
            var steps = _steps.Host(count);
            var stepBits = new ushort[count];
            Parallel.For(0, count, s =>
            {
                steps[s] = PlaneQuantizer.Step(hostStats.AsSpan(s * statsPerSlice, statsPerSlice), tokens, channels, relativeSteps[first + s]);
                stepBits[s] = PlaneQuantizer.StepBits(steps[s]);
            });

            var grid = _grid.Device(elements);
            _kernels.Quantize(x, _steps.Upload(count), grid, count, tokens, channels);
            EncodeGrid(grid, stepBits, tokens, channels, sections.AsSpan(first, count));
        }

        return sections;
    }

    /// <summary>
    /// Encodes grid values (each [tokens, channels], every |q| ≤ <see cref="QuantizedPlaneCoder.MaxMagnitude"/>) with their
    /// stored steps' bits: the device half of <see cref="Encode(IReadOnlyList{ReadOnlyMemory{ushort}}, IReadOnlyList{double}, int, int)"/>
    /// on given symbols. The caller holds the device and has bound it.
    /// </summary>
    public byte[][] Encode(IReadOnlyList<ReadOnlyMemory<short>> grids, IReadOnlyList<ushort> stepBits, int tokens, int channels)
    {
        var sections = new byte[grids.Count][];
        foreach (var (first, count) in Launches(grids.Count, tokens, channels))
        {
            int plane = tokens * channels;
            var host = _grid.Host((long)count * plane);
            for (int s = 0; s < count; s++)
            {
                var grid = grids[first + s].Span;
                if (grid.Length != plane)
                {
                    throw new ArgumentException($"grid {first + s} has {grid.Length} values for {tokens}×{channels}");
                }

                foreach (short value in grid)
                {
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(Math.Abs((int)value), QuantizedPlaneCoder.MaxMagnitude, nameof(grids));
                }

                grid.CopyTo(host.AsSpan(s * plane, plane));
            }

            EncodeGrid(_grid.Upload((long)count * plane), stepBits.Skip(first).Take(count).ToArray(), tokens, channels, sections.AsSpan(first, count));
        }

        return sections;
    }

    public void Dispose()
    {
        _planes.Dispose();
        _stats.Dispose();
        _steps.Dispose();
        _grid.Dispose();
        _modes.Dispose();
        _sums.Dispose();
        _estimates.Dispose();
        _records.Dispose();
        _lanes.Dispose();
        _lengths.Dispose();
        _offsets.Dispose();
        _regions.Dispose();
        _packed.Dispose();
        _classTable?.Dispose();
        _symbols?.Dispose();
    }

    /// <summary>The encoder table of <see cref="RansLaneEncodeKernel.Run"/>: the host's constants of every token of every class.</summary>
    internal static uint[] TokenSymbols()
    {
        var table = new uint[ResidualModels.UniformSymbols * RansLaneEncodeKernel.SymbolWords];
        for (int s = 0; s < ResidualModels.UniformSymbols; s++)
        {
            var symbol = ResidualModels.EncSymbols[s];
            table[(s * 4) + 0] = symbol.Max;
            table[(s * 4) + 1] = symbol.Reciprocal;
            table[(s * 4) + 2] = symbol.Bias;
            table[(s * 4) + 3] = symbol.Complement | ((uint)symbol.Shift << 16);
        }

        return table;
    }

    /// <summary>Consecutive runs of slices, each within <see cref="MaxElementsPerLaunch"/> (at least one slice a run).</summary>
    private static IEnumerable<(int First, int Count)> Launches(int slices, int tokens, int channels)
    {
        int perLaunch = (int)Math.Clamp(MaxElementsPerLaunch / ((long)tokens * channels), 1, int.MaxValue);
        for (int first = 0; first < slices; first += perLaunch)
        {
            yield return (first, Math.Min(perLaunch, slices - first));
        }
    }

    /// <summary>Prediction, lane coding and packing of <paramref name="grid"/>'s slices on the device; the sections' fronts on the host.</summary>
    private void EncodeGrid(ArrayView<short> grid, ushort[] stepBits, int tokens, int channels, Span<byte[]> sections)
    {
        // Uploaded on first use, here rather than in the constructor: only now is the accelerator bound to this thread.
        var accelerator = _kernels.Accelerator;
        _classTable ??= accelerator.Allocate1D(ResidualModels.ClassTable);
        _symbols ??= accelerator.Allocate1D(TokenSymbols());
        int slices = stepBits.Length;
        int plane = tokens * channels;
        int lanesPerSection = QuantizedPlaneCoder.LaneCount(tokens, channels);
        int laneCount = slices * lanesPerSection;
        var lanes = _lanes.Host(laneCount);
        long regionBytes = 0;
        for (int s = 0; s < slices; s++)
        {
            for (int lane = 0; lane < lanesPerSection; lane++)
            {
                long residuals = (long)(((channels - lane - 1) / lanesPerSection) + 1) * tokens;
                int capacity = checked((int)(((residuals * CapacityBits) + 7) / 8) + RansLaneEncodeKernel.StateBytes);
                lanes[(s * lanesPerSection) + lane] = new RansEncodeLane((long)s * plane, s, tokens, channels, lane, lanesPerSection, regionBytes, capacity);
                regionBytes += capacity;
            }
        }

        var laneView = _lanes.Upload(laneCount);
        var modes = _modes.Device((long)slices * channels);
        var estimates = _estimates.Device(2L * slices);
        var records = _records.Device((long)slices * plane);
        var regions = _regions.Device(regionBytes);
        var lengths = _lengths.Device(laneCount);
        _kernels.Residuals(grid, modes, _sums.Device((long)slices * channels), estimates, _classTable.View, records, slices, tokens, channels);
        _kernels.EncodeLanes(laneView, records, estimates, _classTable.View, _symbols.View, regions, lengths);
        var laneLengths = _lengths.Download(lengths);

        var offsets = _offsets.Host(laneCount);
        var overflowed = new bool[slices];
        long packedBytes = 0;
        for (int l = 0; l < laneCount; l++)
        {
            offsets[l] = packedBytes;
            if (laneLengths[l] == RansLaneEncodeKernel.BadLane)
            {
                throw new InvalidOperationException($"the lane encoder rejected lane {l} of the launch's descriptors");
            }

            if (laneLengths[l] < 0)
            {
                overflowed[l / lanesPerSection] = true;
            }
            else
            {
                packedBytes += laneLengths[l];
            }
        }

        var packed = _packed.Device(packedBytes);
        _kernels.GatherLanes(laneView, lengths, _offsets.Upload(laneCount), regions, packed);
        var streams = _packed.Download(packed);
        var sectionModes = _modes.Download(modes);
        var sectionEstimates = _estimates.Download(estimates);

        // A lane outgrew its region: the host encoder codes that section from the device's own grid values.
        var fallback = new short[slices][];
        for (int s = 0; s < slices; s++)
        {
            if (overflowed[s])
            {
                fallback[s] = _grid.Download(grid.SubView((long)s * plane, plane)).AsSpan(0, plane).ToArray();
                HostFallbacks++;
            }
        }

        var result = new byte[slices][];
        Parallel.For(0, slices, s =>
        {
            if (overflowed[s])
            {
                result[s] = QuantizedPlaneCoder.Encode(fallback[s], tokens, channels, stepBits[s]);
                return;
            }

            var sectionLengths = laneLengths.AsSpan(s * lanesPerSection, lanesPerSection);
            long start = offsets[s * lanesPerSection];
            int bytes = 0;
            foreach (int length in sectionLengths)
            {
                bytes += length;
            }

            var writer = new BitstreamWriter(bytes + (5 * lanesPerSection) + (channels / 4) + 16);
            QuantizedPlaneCoder.WriteFront(writer, stepBits[s], sectionModes.AsSpan(s * channels, channels), sectionEstimates[2 * s], sectionEstimates[(2 * s) + 1], sectionLengths);
            writer.Bytes(streams.AsSpan(checked((int)start), bytes));
            result[s] = writer.ToArray();
        });
        result.CopyTo(sections);
    }
}
