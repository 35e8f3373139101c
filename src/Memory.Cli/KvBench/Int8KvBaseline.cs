namespace Memory.Cli.KvBench;

/// <summary>
/// The plain 8-bit peer of the codec: every (layer, token) row of keys and values quantised to int8 with one fp16
/// absmax scale, no entropy coding — what "8-bit KV" means in most serving stacks.
/// </summary>
internal static class Int8KvBaseline
{
    /// <summary>Bits per element: 8 plus the row's scale spread over its channels.</summary>
    public static double BitsPerElement(int channels) => 8.0 + (16.0 / channels);

    /// <summary>Quantises and dequantises fp16 rows of <paramref name="channels"/> values.</summary>
    public static Half[] RoundTrip(ReadOnlySpan<Half> values, int channels)
    {
        var result = new Half[values.Length];
        for (int row = 0; row < values.Length / channels; row++)
        {
            var source = values.Slice(row * channels, channels);
            float max = 0;
            foreach (var v in source)
            {
                max = Math.Max(max, Math.Abs((float)v));
            }

            float scale = (float)(Half)(max / 127f);
            for (int c = 0; c < channels; c++)
            {
                float q = scale == 0 ? 0 : Math.Clamp(MathF.Round((float)source[c] / scale), -127, 127);
                result[(row * channels) + c] = (Half)(q * scale);
            }
        }

        return result;
    }
}
