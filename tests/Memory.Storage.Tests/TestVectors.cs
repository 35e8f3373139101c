namespace Memory.Storage.Tests;

/// <summary>Deterministic unit vectors for tests.</summary>
internal static class TestVectors
{
    /// <summary>Not a multiple of the index's 32-wide rows, so the padding path is exercised too.</summary>
    public const int Dimensions = 48;

    public static float[] Random(int seed, int dimensions = Dimensions)
    {
        var random = new Random(seed);
        var vector = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return Normalize(vector);
    }

    /// <summary>A vector near <paramref name="center"/>: the closer <paramref name="noise"/> is to 0, the nearer.</summary>
    public static float[] Near(float[] center, int seed, float noise)
    {
        var offset = Random(seed, center.Length);
        var vector = new float[center.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = center[i] + (noise * offset[i]);
        }

        return Normalize(vector);
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    private static float[] Normalize(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] /= norm;
        }

        return vector;
    }
}
