using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One <see cref="DecodeAttentionKernel"/> thread's value sums: a quad of dimensions for each of up to
/// <see cref="DecodeAttentionKernel.MaxQueryHeads"/> query heads, in registers. A staged value quad is loaded and
/// widened once and added to every head's sum with that head's probability. With the head count a compile-time
/// constant the tests of <c>heads</c> fold away, and heads past it cost nothing.
/// </summary>
internal readonly struct HeadQuadSums
{
    private readonly Float4 _s0, _s1, _s2, _s3, _s4, _s5, _s6, _s7;

    private HeadQuadSums(Float4 s0, Float4 s1, Float4 s2, Float4 s3, Float4 s4, Float4 s5, Float4 s6, Float4 s7)
    {
        _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3; _s4 = s4; _s5 = s5; _s6 = s6; _s7 = s7;
    }

    /// <summary>Every head's sum times its factor in <paramref name="corrections"/> (the tile's online-softmax rescale).</summary>
    public HeadQuadSums Rescale(ArrayView<float> corrections, int heads) => new(
        Scale(_s0, corrections[0]),
        heads > 1 ? Scale(_s1, corrections[1]) : _s1,
        heads > 2 ? Scale(_s2, corrections[2]) : _s2,
        heads > 3 ? Scale(_s3, corrections[3]) : _s3,
        heads > 4 ? Scale(_s4, corrections[4]) : _s4,
        heads > 5 ? Scale(_s5, corrections[5]) : _s5,
        heads > 6 ? Scale(_s6, corrections[6]) : _s6,
        heads > 7 ? Scale(_s7, corrections[7]) : _s7);

    /// <summary>
    /// Adds <paramref name="value"/> times each head's probability of key <paramref name="key"/> (head h's at
    /// probabilities[h · stride + key]), times <paramref name="weight"/> (0 for a key past the tile, 1 otherwise).
    /// </summary>
    public HeadQuadSums Add(ArrayView<float> probabilities, int stride, int key, Float4 value, float weight, int heads) => new(
        MultiplyAdd(_s0, probabilities[key] * weight, value),
        heads > 1 ? MultiplyAdd(_s1, probabilities[stride + key] * weight, value) : _s1,
        heads > 2 ? MultiplyAdd(_s2, probabilities[(2 * stride) + key] * weight, value) : _s2,
        heads > 3 ? MultiplyAdd(_s3, probabilities[(3 * stride) + key] * weight, value) : _s3,
        heads > 4 ? MultiplyAdd(_s4, probabilities[(4 * stride) + key] * weight, value) : _s4,
        heads > 5 ? MultiplyAdd(_s5, probabilities[(5 * stride) + key] * weight, value) : _s5,
        heads > 6 ? MultiplyAdd(_s6, probabilities[(6 * stride) + key] * weight, value) : _s6,
        heads > 7 ? MultiplyAdd(_s7, probabilities[(7 * stride) + key] * weight, value) : _s7);

    /// <summary>Stores head h's sum at partials[at + h · stride] for every head.</summary>
    public void Store(ArrayView<Float4> partials, int at, int stride, int heads)
    {
        partials[at] = _s0;
        Put(partials, at + stride, heads > 1, _s1);
        Put(partials, at + (2 * stride), heads > 2, _s2);
        Put(partials, at + (3 * stride), heads > 3, _s3);
        Put(partials, at + (4 * stride), heads > 4, _s4);
        Put(partials, at + (5 * stride), heads > 5, _s5);
        Put(partials, at + (6 * stride), heads > 6, _s6);
        Put(partials, at + (7 * stride), heads > 7, _s7);
    }

    private static void Put(ArrayView<Float4> partials, int at, bool present, Float4 sum)
    {
        if (present)
        {
            partials[at] = sum;
        }
    }

    private static Float4 Scale(Float4 s, float factor) => new(s.X * factor, s.Y * factor, s.Z * factor, s.W * factor);

    private static Float4 MultiplyAdd(Float4 s, float p, Float4 v) => new(s.X + (p * v.X), s.Y + (p * v.Y), s.Z + (p * v.Z), s.W + (p * v.W));
}
