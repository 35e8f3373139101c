using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Memory.Storage.Vectors;

/// <summary>
/// The scan arithmetic of the embedded vector index. Stored vectors are unit-normalised and quantised to int8
/// with one scale per vector (a quarter of float32's memory traffic, which is what bounds a brute-force scan);
/// the query is quantised to int16 with a finer step. Products are summed with pmaddwd (AVX-512BW or AVX2),
/// with a scalar loop where neither exists. Candidates are re-ranked with exact float cosine afterwards.
/// </summary>
internal static class Int8Vectors
{
    /// <summary>Rows are padded to this many dimensions so the SIMD loops have no tail.</summary>
    public const int Alignment = 32;

    /// <summary>
    /// The query's step: 8191 × 127 × 2 per pair stays far below int32 overflow even for 2,000 dimensions
    /// accumulated in one lane.
    /// </summary>
    private const float QueryLevels = 8191f;

    public static int Stride(int dimensions) => (dimensions + Alignment - 1) / Alignment * Alignment;

    /// <summary>Writes the int8 codes of <paramref name="vector"/> (stride long) and returns the dequantisation scale.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var norm = Norm(vector);
        var maxAbs = 0f;
        foreach (var value in vector)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(value));
        }

        codes.Clear();
        if (norm == 0f || maxAbs == 0f)
        {
            return 0f;
        }

        var factor = 127f / maxAbs;
        for (var i = 0; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Round(vector[i] * factor);
        }

        // code · q ≈ (v/|v|) · q / scale
        return maxAbs / 127f / norm;
    }

    /// <summary>The query as int16 codes (stride long) and its dequantisation scale.</summary>
    public static float QuantizeQuery(ReadOnlySpan<float> query, Span<short> codes)
    {
        var norm = Norm(query);
        var maxAbs = 0f;
        foreach (var value in query)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(value));
        }

        codes.Clear();
        if (norm == 0f || maxAbs == 0f)
        {
            return 0f;
        }

        var factor = QueryLevels / maxAbs;
        for (var i = 0; i < query.Length; i++)
        {
            codes[i] = (short)Math.Round(query[i] * factor);
        }

        return maxAbs / QueryLevels / norm;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ref sbyte row, ref short query, int stride)
    {
        if (Avx512BW.IsSupported)
        {
            var sum = Vector512<int>.Zero;
            for (var i = 0; i < stride; i += 32)
            {
                var widened = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref row, (nuint)i));
                sum = Avx512F.Add(sum, Avx512BW.MultiplyAddAdjacent(widened, Vector512.LoadUnsafe(ref query, (nuint)i)));
            }

            return Vector512.Sum(sum);
        }

        if (Avx2.IsSupported)
        {
            var sum = Vector256<int>.Zero;
            for (var i = 0; i < stride; i += 16)
            {
                var widened = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, (nuint)i));
                sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(widened, Vector256.LoadUnsafe(ref query, (nuint)i)));
            }

            return Vector256.Sum(sum);
        }

        var total = 0;
        for (var i = 0; i < stride; i++)
        {
            total += Unsafe.Add(ref row, i) * Unsafe.Add(ref query, i);
        }

        return total;
    }

    public static float Norm(ReadOnlySpan<float> vector) => MathF.Sqrt(DotFloat(vector, vector));

    /// <summary>Exact cosine similarity of two float vectors of equal length.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var denominator = Math.Sqrt((double)DotFloat(a, a) * DotFloat(b, b));
        return denominator == 0 ? 0 : DotFloat(a, b) / denominator;
    }

    public static float DotFloat(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = System.Numerics.Vector<float>.Zero;
        var width = System.Numerics.Vector<float>.Count;
        var i = 0;
        for (; i <= a.Length - width; i += width)
        {
            sum += new System.Numerics.Vector<float>(a[i..]) * new System.Numerics.Vector<float>(b[i..]);
        }

        var total = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    public static ReadOnlySpan<float> AsFloats(ReadOnlySpan<byte> blob) => MemoryMarshal.Cast<byte, float>(blob);
}
