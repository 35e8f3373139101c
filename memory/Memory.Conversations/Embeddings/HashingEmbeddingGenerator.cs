using Microsoft.Extensions.AI;

namespace Memory.Conversations.Embeddings;

/// <summary>
/// A deterministic local embedder that needs no model: word unigrams, word bigrams and character n-grams
/// (lower-cased, light-stemmed, stop words dropped) are hashed with a sign bit into a fixed number of
/// dimensions, weighted 1 + ln(tf), each group L2-normalised and weighted, and the sum L2-normalised again.
/// Cosine similarity of two vectors is then close to the weighted sum of the per-group cosines. It knows
/// no synonyms; it is the default because it is honest about what it is and always available.
/// </summary>
public sealed class HashingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly int _dimensions;
    private readonly HashingEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public HashingEmbeddingGenerator(int dimensions, HashingEmbeddingOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 8);
        ArgumentNullException.ThrowIfNull(options);
        _dimensions = dimensions;
        _options = options;
        _metadata = new EmbeddingGeneratorMetadata("hashing", providerUri: null, defaultModelId: $"hashing-{dimensions}", defaultModelDimensions: dimensions);
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(value)) { ModelId = _metadata.DefaultModelId, CreatedAt = null });
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // Nothing to release: the generator holds no native or pooled resources.
    }

    /// <summary>The embedding of one text (never all zeros for a non-blank text).</summary>
    /// <remarks>
    /// Features are counted by their 64-bit hash, computed straight from the words (no feature strings are built),
    /// in the order they first occur, so every group is summed in the same order as when they were counted by
    /// string: the vectors are the same bit for bit (unless two features' 64-bit hashes collide).
    /// </remarks>
    public float[] Embed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = WordAnalyzer.Words(text);
        var content = words.Where(w => !WordAnalyzer.IsStopWord(w)).ToList();
        if (content.Count == 0)
        {
            // "Thanks!" or "Me too" still deserve a vector of their own.
            content = words;
        }

        var terms = new string[content.Count];
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = WordAnalyzer.Stem(content[i]);
        }

        var vector = new double[_dimensions];
        var scratch = new double[_dimensions];

        var unigrams = new Dictionary<ulong, int>(terms.Length);
        foreach (var term in terms)
        {
            Count(unigrams, Finish(Feed(Start('u'), term)));
        }

        var bigrams = new Dictionary<ulong, int>(terms.Length);
        for (var i = 1; i < terms.Length; i++)
        {
            Count(bigrams, Finish(Feed(Feed(Feed(Start('b'), terms[i - 1]), ' '), terms[i])));
        }

        var n = _options.CharNGramLength;
        var charGrams = new Dictionary<ulong, int>(content.Sum(word => Math.Max(1, word.Length + 3 - n)));
        foreach (var word in content)
        {
            // The n-grams of "#word#".
            var marked = word.Length + 2;
            if (marked <= n)
            {
                Count(charGrams, Finish(Feed(Feed(Feed(Start('c'), '#'), word), '#')));
                continue;
            }

            for (var i = 0; i + n <= marked; i++)
            {
                var hash = Start('c');
                for (var j = i; j < i + n; j++)
                {
                    hash = Feed(hash, j == 0 || j == marked - 1 ? '#' : word[j - 1]);
                }

                Count(charGrams, Finish(hash));
            }
        }

        if (unigrams.Count == 0)
        {
            // No letters or digits at all (emoji, punctuation): the normalised text is the only feature.
            Count(unigrams, Finish(Feed(Start('t'), text.Trim())));
        }

        AddGroup(vector, scratch, unigrams, _options.UnigramWeight);
        AddGroup(vector, scratch, bigrams, _options.BigramWeight);
        AddGroup(vector, scratch, charGrams, _options.CharNGramWeight);
        return Normalize(vector);
    }

    private static void Count(Dictionary<ulong, int> counts, ulong feature)
    {
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, feature, out _);
        count++;
    }

    private void AddGroup(double[] vector, double[] group, Dictionary<ulong, int> counts, double weight)
    {
        if (counts.Count == 0 || weight <= 0)
        {
            return;
        }

        Array.Clear(group);
        foreach (var (hash, tf) in counts)
        {
            var index = (int)(hash % (ulong)_dimensions);
            var sign = (hash >> 63) == 0 ? 1.0 : -1.0;
            group[index] += sign * (1.0 + Math.Log(tf));
        }

        var norm = Math.Sqrt(SumOfSquares(group));
        if (norm == 0)
        {
            return;
        }

        var scale = weight / norm;
        for (var i = 0; i < group.Length; i++)
        {
            vector[i] += group[i] * scale;
        }
    }

    private static float[] Normalize(double[] vector)
    {
        var norm = Math.Sqrt(SumOfSquares(vector));
        var result = new float[vector.Length];
        if (norm == 0)
        {
            // Only reachable when features cancelled exactly; the validator turns it into a clear error.
            return result;
        }

        for (var i = 0; i < vector.Length; i++)
        {
            result[i] = (float)(vector[i] / norm);
        }

        return result;
    }

    /// <summary>Σ v², added in index order (as Enumerable.Sum did), so results do not change with the rewrite.</summary>
    private static double SumOfSquares(double[] values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value * value;
        }

        return sum;
    }

    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>The FNV state after a group's prefix ("u\u0001", "b\u0001", "c\u0001" or "t\u0001").</summary>
    private static ulong Start(char group) => Feed(Feed(FnvOffset, group), '\u0001');

    private static ulong Feed(ulong hash, char c) => (hash ^ c) * FnvPrime;

    private static ulong Feed(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return hash;
    }

    private static ulong Finish(ulong hash)
    {
        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }

    // FNV-1a over UTF-16 code units, finished with the SplitMix64 mixer so nearby strings spread evenly;
    // stable across processes and platforms, unlike string.GetHashCode.
    internal static ulong FeatureHash(string feature) => Finish(Feed(FnvOffset, feature));
}
