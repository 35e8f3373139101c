using Memory.Conversations.Embeddings;
using Microsoft.Extensions.AI;

namespace Memory.Conversations.Tests.Reference;

/// <summary>The string-keyed implementation the optimised generator must match bit for bit (kept as it was before the change).</summary>
internal sealed class ReferenceHashingEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly int _dimensions;
    private readonly HashingEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public ReferenceHashingEmbedder(int dimensions, HashingEmbeddingOptions options)
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

        var terms = content.Select(WordAnalyzer.Stem).ToList();
        var vector = new double[_dimensions];

        var unigrams = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var term in terms)
        {
            Count(unigrams, "u\u0001" + term);
        }

        var bigrams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i < terms.Count; i++)
        {
            Count(bigrams, "b\u0001" + terms[i - 1] + " " + terms[i]);
        }

        var charGrams = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = _options.CharNGramLength;
        foreach (var word in content)
        {
            var marked = "#" + word + "#";
            if (marked.Length <= n)
            {
                Count(charGrams, "c\u0001" + marked);
                continue;
            }

            for (var i = 0; i + n <= marked.Length; i++)
            {
                Count(charGrams, string.Concat("c\u0001", marked.AsSpan(i, n)));
            }
        }

        if (unigrams.Count == 0)
        {
            // No letters or digits at all (emoji, punctuation): the normalised text is the only feature.
            Count(unigrams, "t\u0001" + text.Trim());
        }

        AddGroup(vector, unigrams, _options.UnigramWeight);
        AddGroup(vector, bigrams, _options.BigramWeight);
        AddGroup(vector, charGrams, _options.CharNGramWeight);
        return Normalize(vector);
    }

    private static void Count(Dictionary<string, int> counts, string feature) =>
        counts[feature] = counts.GetValueOrDefault(feature) + 1;

    private void AddGroup(double[] vector, Dictionary<string, int> counts, double weight)
    {
        if (counts.Count == 0 || weight <= 0)
        {
            return;
        }

        var group = new double[_dimensions];
        foreach (var (feature, tf) in counts)
        {
            var hash = FeatureHash(feature);
            var index = (int)(hash % (ulong)_dimensions);
            var sign = (hash >> 63) == 0 ? 1.0 : -1.0;
            group[index] += sign * (1.0 + Math.Log(tf));
        }

        var norm = Math.Sqrt(group.Sum(v => v * v));
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
        var norm = Math.Sqrt(vector.Sum(v => v * v));
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

    // FNV-1a over UTF-16 code units, finished with the SplitMix64 mixer so nearby strings spread evenly;
    // stable across processes and platforms, unlike string.GetHashCode.
    internal static ulong FeatureHash(string feature)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in feature)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }

        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }
}
