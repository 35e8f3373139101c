using System.Diagnostics;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using Memory.Inference.Decoding;
using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// Decodes the quantised sections of a batch on an accelerator: the host parses every section's front (cheap), the
/// batch's bytes go to the device once, <see cref="RansLaneDecodeKernel"/> decodes every lane of every section in one
/// launch, <see cref="KvDequantizeKernel"/> turns the grid values into fp16 there, and each block's keys and values
/// come back in one copy (device buffers and page-locked host staging reused across batches). Bit-exact with <see cref="QuantizedPlaneCoder.Decode"/>; a lane that fails raises
/// the same <see cref="KvCodecException"/> kinds the host decoder does. The residual tables are uploaded once.
/// Not thread-safe: the codec serialises device work.
/// </summary>
internal sealed class DeviceLaneDecoder : IDisposable
{
    /// <summary>Elements (keys and values) decoded per launch at most: bounds device memory and keeps indices in range.</summary>
    private const long MaxElementsPerLaunch = 1L << 28;

    private readonly KvCodecKernels _kernels;
    private MemoryBuffer1D<ushort, Stride1D.Dense>? _frequencies;
    private MemoryBuffer1D<ushort, Stride1D.Dense>? _starts;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _slotTokens;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _classTable;
    private readonly DeviceStaging<byte> _input;
    private readonly DeviceStaging<RansLane> _lanes;
    private readonly DeviceStaging<int> _status;
    private readonly DeviceStaging<short> _grid;
    private readonly DeviceStaging<float> _steps;
    private readonly DeviceStaging<ushort> _output;

    public DeviceLaneDecoder(KvCodecKernels kernels)
    {
        _kernels = kernels;
        var accelerator = kernels.Accelerator;
        _input = new DeviceStaging<byte>(accelerator);
        _lanes = new DeviceStaging<RansLane>(accelerator);
        _status = new DeviceStaging<int>(accelerator);
        _grid = new DeviceStaging<short>(accelerator);
        _steps = new DeviceStaging<float>(accelerator);
        _output = new DeviceStaging<ushort>(accelerator);
    }

    /// <summary>
    /// Decodes the quantised <paramref name="items"/> (indices into <paramref name="data"/>) into their
    /// <paramref name="results"/>; <paramref name="sections"/> are each item's sections in stream order (keys and values of
    /// layer 0, then layer 1, …). The caller holds the device and has bound its accelerator.
    /// </summary>
    public void Decode(IReadOnlyList<ArraySegment<byte>> data, IReadOnlyList<KvBitstreamHeader> headers, IReadOnlyList<int> items, IReadOnlyList<(int Start, int Length)[]> sections, KvTensors[] results, KvDecodeProfile? profile)
    {
        // Uploaded on first use, here rather than in the constructor: only now is the accelerator bound to this thread.
        var accelerator = _kernels.Accelerator;
        _frequencies ??= accelerator.Allocate1D(ResidualModels.Frequencies);
        _starts ??= accelerator.Allocate1D(ResidualModels.Starts);
        _slotTokens ??= accelerator.Allocate1D(ResidualModels.SlotTokens);
        _classTable ??= accelerator.Allocate1D(ResidualModels.ClassTable);
        int first = 0;
        while (first < items.Count)
        {
            // At least one item a launch (a header allows at most 2^28 elements per tensor), then as many as fit.
            int end = first + 1;
            long elements = results[items[first]].Elements * 2;
            while (end < items.Count && elements + (results[items[end]].Elements * 2) <= MaxElementsPerLaunch)
            {
                elements += results[items[end]].Elements * 2;
                end++;
            }

            DecodeLaunch(data, headers, items.Skip(first).Take(end - first).ToArray(), sections, results, profile);
            first = end;
        }
    }

    private void DecodeLaunch(IReadOnlyList<ArraySegment<byte>> data, IReadOnlyList<KvBitstreamHeader> headers, int[] items, IReadOnlyList<(int Start, int Length)[]> sections, KvTensors[] results, KvDecodeProfile? profile)
    {
        long lap = Stopwatch.GetTimestamp();
        // Slices of an item: its keys' layers, then its values' layers, so each tensor is one contiguous run.
        var itemBytes = new long[items.Length];
        var itemElements = new long[items.Length + 1];
        var itemSlices = new int[items.Length + 1];
        long bytes = 0;
        for (int n = 0; n < items.Length; n++)
        {
            itemBytes[n] = bytes;
            bytes += data[items[n]].Count;
            itemElements[n + 1] = itemElements[n] + (results[items[n]].Elements * 2);
            itemSlices[n + 1] = itemSlices[n] + (headers[items[n]].Layers * 2);
        }

        long elements = itemElements[^1];
        var steps = new float[itemSlices[^1]];
        var lanes = new List<RansLane>();
        var origins = new List<(int Item, int Section)>();
        for (int n = 0; n < items.Length; n++)
        {
            var header = headers[items[n]];
            int plane = header.Tokens * header.Channels;
            for (int s = 0; s < header.Layers * 2; s++)
            {
                var (start, length) = sections[items[n]][s];
                var layout = QuantizedPlaneCoder.Parse(data[items[n]].AsSpan(start, length), header.Channels);
                int sliceInItem = (s % 2 == 0 ? 0 : header.Layers) + (s / 2);
                steps[itemSlices[n] + sliceInItem] = layout.Step;
                long sectionAt = itemBytes[n] + start;
                long sliceAt = itemElements[n] + ((long)sliceInItem * plane);
                for (int lane = 0; lane < layout.Lanes; lane++)
                {
                    lanes.Add(new RansLane(sectionAt + layout.LaneStarts[lane], layout.LaneLengths[lane], sectionAt + layout.Predictors, sliceAt, header.Tokens, header.Channels, lane, layout.Lanes, layout.FirstEstimate, layout.Estimate));
                    origins.Add((n, s));
                }
            }
        }

        // The batch's bytes, lanes and grid steps go up in one copy each (page-locked staging, filled in parallel).
        var inputHost = _input.Host(bytes);
        Parallel.For(0, items.Length, n => data[items[n]].AsSpan().CopyTo(inputHost.AsSpan(checked((int)itemBytes[n]))));
        lap = profile?.Lap(KvDecodePhase.Prepare, lap) ?? lap;
        var input = _input.Upload(bytes);
        var laneArray = lanes.ToArray();
        laneArray.CopyTo(_lanes.Host(laneArray.Length), 0);
        var laneView = _lanes.Upload(laneArray.Length);
        steps.CopyTo(_steps.Host(steps.Length), 0);
        var stepView = _steps.Upload(steps.Length);
        var status = _status.Device(lanes.Count);
        var grid = _grid.Device(elements);
        var output = _output.Device(elements);
        _kernels.DecodeLanes(input, laneView, _frequencies!.View, _starts!.View, _slotTokens!.View, _classTable!.View, grid, status);

        // Dequantise runs of items of one shape together; a failed lane's garbage is never copied out.
        int run = 0;
        for (int n = 1; n <= items.Length; n++)
        {
            if (n == items.Length || !SameShape(headers[items[n]], headers[items[run]]))
            {
                var shape = headers[items[run]];
                long first = itemElements[run], count = itemElements[n] - first;
                int firstSlice = itemSlices[run], runSlices = itemSlices[n] - firstSlice;
                _kernels.Dequantize(grid.SubView(first, count), stepView.SubView(firstSlice, runSlices), output.SubView(first, count), runSlices, shape.Tokens, shape.Channels);
                run = n;
            }
        }

        var laneStatus = _status.Download(status);
        for (int l = 0; l < lanes.Count; l++)
        {
            if (laneStatus[l] != (int)RansLaneStatus.Ok)
            {
                var (n, s) = origins[l];
                throw LaneError((RansLaneStatus)laneStatus[l], items[n], s, lanes[l].Lane);
            }
        }

        lap = profile?.Lap(KvDecodePhase.Device, lap) ?? lap;
        // One copy of every block's keys and values into page-locked memory, then into the results in parallel.
        var decoded = _output.Download(output);
        lap = profile?.Lap(KvDecodePhase.Download, lap) ?? lap;
        Parallel.For(0, items.Length, n =>
        {
            var result = results[items[n]];
            int tensor = checked((int)result.Elements);
            decoded.AsSpan(checked((int)itemElements[n]), tensor).CopyTo(result.Keys);
            decoded.AsSpan(checked((int)(itemElements[n] + tensor)), tensor).CopyTo(result.Values);
        });
        profile?.Lap(KvDecodePhase.CopyOut, lap);
    }

    public void Dispose()
    {
        _input.Dispose();
        _lanes.Dispose();
        _status.Dispose();
        _grid.Dispose();
        _steps.Dispose();
        _output.Dispose();
        _frequencies?.Dispose();
        _starts?.Dispose();
        _slotTokens?.Dispose();
        _classTable?.Dispose();
    }

    private static bool SameShape(KvBitstreamHeader a, KvBitstreamHeader b) => a.Tokens == b.Tokens && a.Channels == b.Channels;

    private static KvCodecException LaneError(RansLaneStatus status, int item, int section, int lane)
    {
        string where = $"lane {lane} of layer {section / 2}'s {(section % 2 == 0 ? "keys" : "values")} (block {item} of the batch)";
        return status switch
        {
            RansLaneStatus.Truncated => new KvCodecException(KvCodecError.Truncated, $"{where} ends before its symbols"),
            RansLaneStatus.OutOfRange => new KvCodecException(KvCodecError.Malformed, $"{where} decodes a quantised value out of range"),
            RansLaneStatus.BadEnd => new KvCodecException(KvCodecError.Malformed, $"{where} does not end where its symbols do"),
            _ => new KvCodecException(KvCodecError.Malformed, $"{where}: the device decoder reported status {(int)status}"),
        };
    }
}
