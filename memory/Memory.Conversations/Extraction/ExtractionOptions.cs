using System.ComponentModel.DataAnnotations;

namespace Memory.Conversations.Extraction;

/// <summary>Fact extraction and consolidation for <c>infer: true</c> (section "Extraction").</summary>
public sealed class ExtractionOptions : IValidatableObject
{
    public const string SectionName = "Extraction";

    /// <summary>Service key of the local model's IChatClient (the same key Memory.Inference registers it under).</summary>
    public const string LocalChatClientKey = "local";

    public ExtractionProvider Provider { get; set; } = ExtractionProvider.None;

    /// <summary>Base address: for OpenAI-compatible servers including the version path (http://127.0.0.1:8000/v1), for Ollama the server root.</summary>
    public string? Endpoint { get; set; }

    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Longest wait for one chat answer; beyond it the model counts as unavailable (503).</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 60;

    public StructuredOutputMode StructuredOutput { get; set; } = StructuredOutputMode.JsonSchema;

    /// <summary>Version of the prompt files (Prompts/extract-facts.{version}.md and consolidate.{version}.md).</summary>
    [Required]
    public string PromptVersion { get; set; } = "v1";

    [Range(0.0, 2.0)]
    public double Temperature { get; set; }

    [Range(1, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 2_000;

    /// <summary>Existing memories found per fact by hybrid search and shown to the consolidation call (Mem0 uses 5).</summary>
    [Range(1, 50)]
    public int RelatedMemories { get; set; } = 5;

    /// <summary>Most recent memories of the scope shown to the extraction call as context.</summary>
    [Range(0, 200)]
    public int ContextMemories { get; set; } = 10;

    /// <summary>Facts one extraction may yield; more are a runaway answer and are cut (with a log).</summary>
    [Range(1, 1_000)]
    public int MaxFacts { get; set; } = 50;

    /// <summary>Requests that async_mode may queue before it refuses with 503.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>Background extractions run at the same time.</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 1;

    /// <summary>Attempts of a background extraction while the chat model is unavailable, before its messages are stored verbatim.</summary>
    [Range(1, 20)]
    public int BackgroundAttempts { get; set; } = 3;

    [Range(0.0, 3_600.0)]
    public double BackgroundRetryDelaySeconds { get; set; } = 5;

    /// <summary>Finished background jobs whose status stays queryable.</summary>
    [Range(1, 10_000_000)]
    public int RetainedJobs { get; set; } = 10_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == ExtractionProvider.None)
        {
            yield break;
        }

        if (Provider != ExtractionProvider.Local && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult($"Extraction:Model is required for the {Provider} provider.", [nameof(Model)]);
        }

        if (Provider == ExtractionProvider.Ollama && string.IsNullOrWhiteSpace(Endpoint))
        {
            yield return new ValidationResult("Extraction:Endpoint is required for the Ollama provider (e.g. http://127.0.0.1:11434).", [nameof(Endpoint)]);
        }

        if (!string.IsNullOrWhiteSpace(Endpoint)
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"Extraction:Endpoint '{Endpoint}' is not an absolute http(s) URI.", [nameof(Endpoint)]);
        }

        if (!PromptLibrary.Has(PromptLibrary.ExtractFacts, PromptVersion) || !PromptLibrary.Has(PromptLibrary.Consolidate, PromptVersion))
        {
            yield return new ValidationResult(
                $"Extraction:PromptVersion '{PromptVersion}' has no prompt files; known versions: {string.Join(", ", PromptLibrary.Versions(PromptLibrary.ExtractFacts))}.",
                [nameof(PromptVersion)]);
        }
    }
}
