using System.ComponentModel.DataAnnotations;

namespace Memory.Conversations.Embeddings;

/// <summary>Embedding configuration (section "Embeddings").</summary>
public sealed class EmbeddingOptions : IValidatableObject
{
    public const string SectionName = "Embeddings";

    public EmbeddingProvider Provider { get; set; } = EmbeddingProvider.Hashing;

    /// <summary>Length of every vector; a provider returning another length is an error, not a surprise later.</summary>
    [Range(8, 16_000)]
    public int Dimensions { get; set; } = 384;

    /// <summary>Base address of the OpenAI-compatible or Ollama server (e.g. http://127.0.0.1:11434).</summary>
    public string? Endpoint { get; set; }

    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Texts per call to a remote provider.</summary>
    [Range(1, 4_096)]
    public int BatchSize { get; set; } = 64;

    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 60;

    public HashingEmbeddingOptions Hashing { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == EmbeddingProvider.Hashing)
        {
            foreach (var result in Hashing.Validate())
            {
                yield return result;
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult($"Embeddings:Model is required for the {Provider} provider.", [nameof(Model)]);
        }

        if (Provider == EmbeddingProvider.Ollama && string.IsNullOrWhiteSpace(Endpoint))
        {
            yield return new ValidationResult("Embeddings:Endpoint is required for the Ollama provider.", [nameof(Endpoint)]);
        }

        if (!string.IsNullOrWhiteSpace(Endpoint) && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"Embeddings:Endpoint '{Endpoint}' is not an absolute URI.", [nameof(Endpoint)]);
        }
    }
}
