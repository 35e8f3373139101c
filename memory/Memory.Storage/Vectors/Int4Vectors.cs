using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Memory.Storage.Vectors;

/// <summary>
/// The first pass of the embedded vector index: every stored vector also as 4-bit codes (−7…7 with one scale per
/// vector, kept as unsigned nibbles 1…15), so the brute-force scan reads half the bytes of the int8 codes. The scan
/// is bound by memory bandwidth (100K × 384 int8 codes are 38 MB per query, about 3.5 ms on the dev VM; the nibbles
/// take half that). Its ranking is coarse, so it only picks a few times more candidates than asked for, which the
/// int8 codes then rank (measured on 100K hashing embeddings: the 4-bit top 416 held 99.98% of the exact top 100).
/// <para>
/// Layout: 32 bytes hold 64 dimensions, the low nibbles dimensions 0–31 of the block and the high nibbles 32–63, so
/// AVX2 unpacks a block with one mask and one shift and multiplies it by the int8 query with pmaddubsw.
/// </para>
/// </summary>
internal static class Int4Vectors
{
    /// <summary>Dimensions per 32-byte block.</summary>
    public const int BlockDimensions = 64;

    private const float Levels = 7f;
    private const float QueryLevels = 127f;

    /// <summary>Dimensions rounded up to whole blocks.</summary>
    public static int PaddedDimensions(int dimensions) => (dimensions + BlockDimensions - 1) / BlockDimensions * BlockDimensions;

    /// <summary>Bytes of one vector's codes.</summary>
    public static int Stride(int dimensions) => PaddedDimensions(dimensions) / 2;

    /// <summary>Writes the nibbles of <paramref name="vector"/> and returns the dequantisation scale (0 for a zero vector).</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<byte> codes)
    {
        var norm = Int8Vectors.Norm(vector);
        var maxAbs = MaxAbs(vector);
        if (norm == 0f || maxAbs == 0f)
        {
            codes.Fill(0x88); // code 0 in both nibbles
            return 0f;
        }

        var factor = Levels / maxAbs;
        var padded = codes.Length * 2;
        for (var d = 0; d < padded; d++)
        {
            var code = d < vector.Length ? (int)MathF.Round(vector[d] * factor) : 0;
            var nibble = (byte)(code + 8);
            var block = d / BlockDimensions;
            var within = d % BlockDimensions;
            var index = (block * 32) + (within % 32);
            codes[index] = within < 32
                ? (byte)((codes[index] & 0xF0) | nibble)
                : (byte)((codes[index] & 0x0F) | (nibble << 4));
        }

        return maxAbs / Levels / norm;
    }

    /// <summary>The query as int8 codes (padded to whole blocks) and its scale; <paramref name="sum"/> is the codes' sum.</summary>
    public static float QuantizeQuery(ReadOnlySpan<float> query, Span<sbyte> codes, out int sum)
    {
        codes.Clear();
        sum = 0;
        var norm = Int8Vectors.Norm(query);
        var maxAbs = MaxAbs(query);
        if (norm == 0f || maxAbs == 0f)
        {
            return 0f;
        }

        var factor = QueryLevels / maxAbs;
        for (var i = 0; i < query.Length; i++)
        {
            codes[i] = (sbyte)MathF.Round(query[i] * factor);
            sum += codes[i];
        }

        return maxAbs / QueryLevels / norm;
    }

    /// <summary>
    /// Σ nibble·query over the whole stride. The nibbles carry an offset of 8, so the true dot product of the codes
    /// is this minus 8 × the query codes' sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotWithOffset(ref byte row, ref sbyte query, int strideBytes)
    {
        if (Avx2.IsSupported)
        {
            var mask = Vector256.Create((byte)0x0F);
            var ones = Vector256.Create((short)1);
            var sum = Vector256<int>.Zero;
            for (var i = 0; i < strideBytes; i += 32)
            {
                var packed = Vector256.LoadUnsafe(ref row, (nuint)i);
                var low = Avx2.And(packed, mask);
                var high = Avx2.And(Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte(), mask);

                // Each pmaddubsw lane is at most 2 × 15 × 127 = 3810, two of them 7620: no int16 saturation.
                var pairs = Avx2.Add(
                    Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref query, (nuint)(2 * i))),
                    Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref query, (nuint)((2 * i) + 32))));
                sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(pairs, ones));
            }

            return Vector256.Sum(sum);
        }

        var total = 0;
        for (var i = 0; i < strideBytes; i++)
        {
            var packed = Unsafe.Add(ref row, i);
            var block = i / 32 * 64;
            var within = i % 32;
            total += (packed & 0x0F) * Unsafe.Add(ref query, block + within);
            total += (packed >> 4) * Unsafe.Add(ref query, block + 32 + within);
        }

        return total;
    }

    private static float MaxAbs(ReadOnlySpan<float> vector)
    {
        var maxAbs = 0f;
        foreach (var value in vector)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(value));
        }

        return maxAbs;
    }
}
