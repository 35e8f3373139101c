using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The quantising half of the KV block codec (CacheGen-style anchors and deltas, KIVI-style scale axes).
/// A tensor is [slices, tokens, channels] of fp16 bits, a slice being one layer of one block. Tokens are grouped in
/// runs of groupSize; the first token of each group is the anchor. Anchors are quantised against zero, every other
/// token as the delta to its group's dequantised anchor (closed loop, so errors never accumulate), with
/// levels[slice] steps each side of zero. Keys take one scale per channel (perChannel = 1), values one per token.
/// Scales are rounded up to bfloat16 (the upper 16 bits of an fp32), which is how they are stored.
/// </summary>
public static class KvQuantizeKernel
{
    /// <summary>Scales of the anchors, one index per (slice, line): line = channel (perChannel) or group.</summary>
    public static void AnchorScales(
        Index1D index,
        ArrayView<ushort> x,
        ArrayView<float> anchorScales,
        int tokens,
        int channels,
        int groupSize,
        int perChannel,
        int anchorLevels)
    {
        int groups = (tokens + groupSize - 1) / groupSize;
        int lines = perChannel != 0 ? channels : groups;
        int slice = index / lines;
        int line = index % lines;
        long sliceBase = (long)slice * tokens * channels;
        float max = 0f;
        if (perChannel != 0)
        {
            for (int g = 0; g < groups; g++)
            {
                max = MathF.Max(max, Magnitude(WeightLoads.HalfToFloat(x[sliceBase + ((long)g * groupSize * channels) + line])));
            }
        }
        else
        {
            long row = sliceBase + ((long)line * groupSize * channels);
            for (int c = 0; c < channels; c++)
            {
                max = MathF.Max(max, Magnitude(WeightLoads.HalfToFloat(x[row + c])));
            }
        }

        anchorScales[index] = StoredScale(max / anchorLevels);
    }

    /// <summary>Anchor symbols and dequantised anchors, one index per (slice, group, channel).</summary>
    public static void QuantizeAnchors(
        Index1D index,
        ArrayView<ushort> x,
        ArrayView<float> anchorScales,
        ArrayView<short> anchorSymbols,
        ArrayView<float> anchors,
        int tokens,
        int channels,
        int groupSize,
        int perChannel,
        int anchorLevels)
    {
        int groups = (tokens + groupSize - 1) / groupSize;
        int channel = index % channels;
        int group = (index / channels) % groups;
        int slice = index / (channels * groups);
        float value = WeightLoads.HalfToFloat(x[(((long)slice * tokens) + ((long)group * groupSize)) * channels + channel]);
        float scale = anchorScales[perChannel != 0 ? (slice * channels) + channel : (slice * groups) + group];
        int q = Quantize(value, scale, anchorLevels);
        anchorSymbols[index] = (short)q;
        anchors[index] = q * scale;
    }

    /// <summary>Scales of the deltas, one index per (slice, line): line = channel (perChannel) or token (anchor tokens get 0).</summary>
    public static void DeltaScales(
        Index1D index,
        ArrayView<ushort> x,
        ArrayView<float> anchors,
        ArrayView<float> deltaScales,
        ArrayView<int> levels,
        int tokens,
        int channels,
        int groupSize,
        int perChannel)
    {
        int groups = (tokens + groupSize - 1) / groupSize;
        int lines = perChannel != 0 ? channels : tokens;
        int slice = index / lines;
        int line = index % lines;
        long sliceBase = (long)slice * tokens * channels;
        long anchorBase = (long)slice * groups * channels;
        float max = 0f;
        if (perChannel != 0)
        {
            for (int t = 0; t < tokens; t++)
            {
                if (t % groupSize != 0)
                {
                    float value = WeightLoads.HalfToFloat(x[sliceBase + ((long)t * channels) + line]);
                    max = MathF.Max(max, Magnitude(value - anchors[anchorBase + ((long)(t / groupSize) * channels) + line]));
                }
            }
        }
        else if (line % groupSize != 0)
        {
            long row = sliceBase + ((long)line * channels);
            long anchorRow = anchorBase + ((long)(line / groupSize) * channels);
            for (int c = 0; c < channels; c++)
            {
                max = MathF.Max(max, Magnitude(WeightLoads.HalfToFloat(x[row + c]) - anchors[anchorRow + c]));
            }
        }

        deltaScales[index] = StoredScale(max / levels[slice]);
    }

    /// <summary>Delta symbols, one index per (slice, token, channel); anchor positions get 0 (they are not coded).</summary>
    public static void QuantizeDeltas(
        Index1D index,
        ArrayView<ushort> x,
        ArrayView<float> anchors,
        ArrayView<float> deltaScales,
        ArrayView<short> deltaSymbols,
        ArrayView<int> levels,
        int tokens,
        int channels,
        int groupSize,
        int perChannel)
    {
        int groups = (tokens + groupSize - 1) / groupSize;
        int channel = index % channels;
        int token = (index / channels) % tokens;
        int slice = index / (channels * tokens);
        if (token % groupSize == 0)
        {
            deltaSymbols[index] = 0;
            return;
        }

        float anchor = anchors[(((long)slice * groups) + (token / groupSize)) * channels + channel];
        float scale = deltaScales[perChannel != 0 ? (slice * channels) + channel : (slice * tokens) + token];
        deltaSymbols[index] = (short)Quantize(WeightLoads.HalfToFloat(x[index]) - anchor, scale, levels[slice]);
    }

    /// <summary>round(value / scale) clamped to ±levels; 0 for a zero scale or a NaN.</summary>
    public static int Quantize(float value, float scale, int levels)
    {
        if (!(scale > 0f) || IsNaN(value))
        {
            return 0;
        }

        float v = value / scale;
        int q = v >= 0f ? (int)MathF.Min(v + 0.5f, levels) : -(int)MathF.Min(0.5f - v, levels);
        return q;
    }

    /// <summary>The smallest bfloat16 value ≥ <paramref name="scale"/> (so max / scale never exceeds the level count).</summary>
    public static float StoredScale(float scale)
    {
        if (!(scale > 0f))
        {
            return 0f;
        }

        uint bits = Interop.FloatAsInt(scale);
        if ((bits & 0xFFFFu) != 0)
        {
            bits = (bits & 0xFFFF0000u) + 0x10000u;
        }

        return Interop.IntAsFloat(bits);
    }

    private static float Magnitude(float value) => IsNaN(value) ? 0f : (value < 0f ? -value : value);

    private static bool IsNaN(float value) => (Interop.FloatAsInt(value) & 0x7FFFFFFFu) > 0x7F800000u;
}
