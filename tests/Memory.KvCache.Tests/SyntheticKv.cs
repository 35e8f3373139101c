using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>KV-like test tensors: per-channel offsets and spreads (some outlier channels), slow drift over tokens, noise.</summary>
internal static class SyntheticKv
{
    public static KvTensors Create(int layers, int tokens, int channels, int seed)
    {
        var random = new Random(seed);
        return new KvTensors(layers, tokens, channels, Plane(random, layers, tokens, channels, 4f), Plane(random, layers, tokens, channels, 1f));
    }

    public static ushort[] Plane(Random random, int layers, int tokens, int channels, float outlier)
    {
        var data = new ushort[layers * tokens * channels];
        for (int l = 0; l < layers; l++)
        {
            for (int c = 0; c < channels; c++)
            {
                float offset = Normal(random) * (c % 7 == 0 ? outlier : 0.5f);
                float spread = 0.05f + (float)random.NextDouble();
                float walk = 0;
                for (int t = 0; t < tokens; t++)
                {
                    walk = (0.9f * walk) + (0.3f * Normal(random));
                    float value = offset + (spread * (walk + (0.3f * Normal(random))));
                    data[(((l * tokens) + t) * channels) + c] = BitConverter.HalfToUInt16Bits((Half)value);
                }
            }
        }

        return data;
    }

    /// <summary>One isolated spike per plane, far outside its spread (in large planes, residuals of two raw chunks).</summary>
    public static KvTensors Spiky(KvTensors kv, int seed)
    {
        var random = new Random(seed);
        int plane = kv.Tokens * kv.Channels;
        for (int l = 0; l < kv.Layers; l++)
        {
            kv.Keys[(l * plane) + random.Next(plane)] = BitConverter.HalfToUInt16Bits((Half)3000f);
            kv.Values[(l * plane) + random.Next(plane)] = BitConverter.HalfToUInt16Bits((Half)(-700f));
        }

        return kv;
    }

    public static float Value(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    private static float Normal(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
