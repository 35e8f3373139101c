using System.Numerics;

namespace Memory.Cli.Bench;

/// <summary>
/// The exact nearest neighbours by cosine over stored embeddings, by brute force: the truth a vector index's answers are
/// measured against (recall@k). Two cores scan 100K × 384 floats per query in a few tens of milliseconds; untimed.
/// </summary>
public sealed class ExactNeighbours
{
    private readonly string[] _ids;
    private readonly float[][] _vectors;

    public ExactNeighbours(IReadOnlyList<(string Id, ReadOnlyMemory<float> Embedding)> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        _ids = stored.Select(s => s.Id).ToArray();
        _vectors = stored.Select(s => Normalized(s.Embedding.Span)).ToArray();
    }

    /// <summary>The ids of the <paramref name="k"/> stored vectors nearest <paramref name="query"/> (ties: either may be in).</summary>
    public IReadOnlySet<string> Nearest(ReadOnlySpan<float> query, int k)
    {
        var normalized = Normalized(query);
        var best = new PriorityQueue<int, float>(k + 1);
        for (var i = 0; i < _vectors.Length; i++)
        {
            var similarity = Dot(normalized, _vectors[i]);
            if (best.Count < k)
            {
                best.Enqueue(i, similarity);
            }
            else if (best.TryPeek(out _, out var worst) && similarity > worst)
            {
                best.DequeueEnqueue(i, similarity);
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (best.TryDequeue(out var index, out _))
        {
            ids.Add(_ids[index]);
        }

        return ids;
    }

    private static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var copy = vector.ToArray();
        var norm = MathF.Sqrt(Dot(copy, copy));
        if (norm > 0)
        {
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] /= norm;
            }
        }

        return copy;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        }

        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }
}
