using System.ComponentModel.DataAnnotations;

namespace Memory.Conversations.Embeddings;

/// <summary>Weights of the feature groups of <see cref="HashingEmbeddingGenerator"/> (section "Embeddings:Hashing").</summary>
public sealed class HashingEmbeddingOptions
{
    public double UnigramWeight { get; set; } = 1.0;

    public double BigramWeight { get; set; } = 0.5;

    public double CharNGramWeight { get; set; } = 0.5;

    /// <summary>Length of the character n-grams taken inside each word (with word-boundary marks).</summary>
    public int CharNGramLength { get; set; } = 3;

    internal IEnumerable<ValidationResult> Validate()
    {
        if (UnigramWeight < 0 || BigramWeight < 0 || CharNGramWeight < 0 || UnigramWeight + BigramWeight + CharNGramWeight <= 0)
        {
            yield return new ValidationResult("Embeddings:Hashing weights must be non-negative and not all zero.");
        }

        if (CharNGramLength is < 2 or > 8)
        {
            yield return new ValidationResult("Embeddings:Hashing:CharNGramLength must be between 2 and 8.");
        }
    }
}
