namespace Memory.KvCache.Codec;

/// <summary>
/// Entropy coding of one quantised [tokens, channels] plane (one layer's keys or values): the bfloat16 scales, one
/// geometric-model index per channel for anchors and one for deltas (the per-(layer, channel) statistics), then the
/// anchor symbols and the non-anchor delta symbols, each an rANS stream.
/// </summary>
internal static class QuantizedPlaneCoder
{
    public static byte[] Encode(
        ReadOnlySpan<float> anchorScales,
        ReadOnlySpan<float> deltaScales,
        ReadOnlySpan<short> anchorSymbols,
        ReadOnlySpan<short> deltaSymbols,
        int tokens,
        int channels,
        int groupSize,
        int anchorLevels,
        int levels)
    {
        var deltas = NonAnchorRows(deltaSymbols, tokens, channels, groupSize);
        var anchorModels = ChooseModels(anchorSymbols, channels, anchorLevels, out var anchorIndices);
        var deltaModels = ChooseModels(deltas, channels, levels, out var deltaIndices);
        var anchorPayload = RansCoder.Encode(anchorSymbols, anchorLevels, anchorModels);
        var deltaPayload = RansCoder.Encode(deltas, levels, deltaModels);

        var writer = new BitstreamWriter(((anchorScales.Length + deltaScales.Length) * 2) + (channels * 2) + anchorPayload.Length + deltaPayload.Length + 8);
        foreach (float scale in anchorScales)
        {
            writer.U16(ScaleBits(scale));
        }

        foreach (float scale in deltaScales)
        {
            writer.U16(ScaleBits(scale));
        }

        writer.Bytes(anchorIndices);
        writer.Bytes(deltaIndices);
        writer.U32((uint)anchorPayload.Length);
        writer.Bytes(anchorPayload);
        writer.U32((uint)deltaPayload.Length);
        writer.Bytes(deltaPayload);
        return writer.ToArray();
    }

    public static void Decode(
        ReadOnlySpan<byte> section,
        Span<float> anchorScales,
        Span<float> deltaScales,
        Span<short> anchorSymbols,
        Span<short> deltaSymbols,
        int tokens,
        int channels,
        int groupSize,
        int anchorLevels,
        int levels)
    {
        var reader = new BitstreamReader(section);
        ReadScales(ref reader, anchorScales);
        ReadScales(ref reader, deltaScales);
        var anchorModels = ReadModels(ref reader, channels, anchorLevels);
        var deltaModels = ReadModels(ref reader, channels, levels);
        int anchorLength = reader.Length("anchor payload length", reader.Remaining);
        RansCoder.Decode(reader.Take(anchorLength, "anchor payload"), anchorLevels, anchorModels, anchorSymbols);
        int deltaLength = reader.Length("delta payload length", reader.Remaining);
        var deltaPayload = reader.Take(deltaLength, "delta payload");
        if (reader.Remaining != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "bytes after a quantised section");
        }

        int groups = (tokens + groupSize - 1) / groupSize;
        var deltas = new short[(tokens - groups) * channels];
        RansCoder.Decode(deltaPayload, levels, deltaModels, deltas);
        int row = 0;
        for (int t = 0; t < tokens; t++)
        {
            var target = deltaSymbols.Slice(t * channels, channels);
            if (t % groupSize == 0)
            {
                target.Clear();
            }
            else
            {
                deltas.AsSpan(row * channels, channels).CopyTo(target);
                row++;
            }
        }
    }

    private static short[] NonAnchorRows(ReadOnlySpan<short> deltaSymbols, int tokens, int channels, int groupSize)
    {
        int groups = (tokens + groupSize - 1) / groupSize;
        var deltas = new short[(tokens - groups) * channels];
        int row = 0;
        for (int t = 0; t < tokens; t++)
        {
            if (t % groupSize != 0)
            {
                deltaSymbols.Slice(t * channels, channels).CopyTo(deltas.AsSpan(row * channels));
                row++;
            }
        }

        return deltas;
    }

    private static RansModel[] ChooseModels(ReadOnlySpan<short> symbols, int channels, int levels, out byte[] indices)
    {
        int alphabet = (2 * levels) + 1;
        var histograms = new int[channels * alphabet];
        for (int i = 0; i < symbols.Length; i++)
        {
            histograms[((i % channels) * alphabet) + symbols[i] + levels]++;
        }

        indices = new byte[channels];
        var models = new RansModel[channels];
        for (int c = 0; c < channels; c++)
        {
            int index = GeometricModels.Choose(histograms.AsSpan(c * alphabet, alphabet), levels);
            indices[c] = (byte)index;
            models[c] = GeometricModels.Get(levels, index);
        }

        return models;
    }

    private static RansModel[] ReadModels(ref BitstreamReader reader, int channels, int levels)
    {
        var indices = reader.Take(channels, "model indices");
        var models = new RansModel[channels];
        for (int c = 0; c < channels; c++)
        {
            if (indices[c] >= GeometricModels.Count)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"model index {indices[c]} of channel {c} is out of range");
            }

            models[c] = GeometricModels.Get(levels, indices[c]);
        }

        return models;
    }

    private static ushort ScaleBits(float scale) => (ushort)(BitConverter.SingleToUInt32Bits(scale) >> 16);

    private static void ReadScales(ref BitstreamReader reader, Span<float> scales)
    {
        for (int i = 0; i < scales.Length; i++)
        {
            float scale = BitConverter.UInt32BitsToSingle((uint)reader.U16("scale") << 16);
            if (!float.IsFinite(scale) || scale < 0)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"scale {scale} is not a finite non-negative number");
            }

            scales[i] = scale;
        }
    }
}
