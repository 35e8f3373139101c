using Memory.Conversations.Errors;
using Memory.Conversations.Extraction;
using Microsoft.Extensions.DependencyInjection;

namespace Memory.Cli.Hosting;

/// <summary>
/// The chat-model settings of <c>eval locomo --infer</c>: flags win over the MEMORY_Extraction__* environment,
/// which the engine reads anyway; OPENAI_API_KEY is the key of last resort, as OpenAI's own tools use it.
/// </summary>
public static class InferSettings
{
    public static void Apply(IDictionary<string, string?> settings, string? provider, string? endpoint, string? model, string? key)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configured = Environment.GetEnvironmentVariable("MEMORY_Extraction__Provider");
        settings["Extraction:Provider"] = !string.IsNullOrWhiteSpace(provider) ? provider
            : !string.IsNullOrWhiteSpace(configured) ? configured
            : nameof(ExtractionProvider.OpenAI);
        Set(settings, "Extraction:Endpoint", endpoint);
        Set(settings, "Extraction:Model", model);
        Set(settings, "Extraction:ApiKey", key
            ?? Environment.GetEnvironmentVariable("MEMORY_Extraction__ApiKey")
            ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
    }

    /// <summary>Fails before any ingestion when --infer has no chat model to talk to.</summary>
    public static void EnsureConfigured(EngineServices engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (!engine.Services.GetRequiredService<ExtractionChat>().IsConfigured)
        {
            throw new CliFailureException(
                "--infer needs a chat model: pass --chat-model (and --chat-endpoint for a local server) or set MEMORY_Extraction__Provider and MEMORY_Extraction__Model.",
                new InferenceUnavailableException(ExtractionPipeline.NotConfigured));
        }
    }

    private static void Set(IDictionary<string, string?> settings, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            settings[key] = value;
        }
    }
}
