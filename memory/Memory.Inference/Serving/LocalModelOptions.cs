using System.ComponentModel.DataAnnotations;

namespace Memory.Inference.Serving;

/// <summary>How the local model is served (section "LocalModel"); the weights and cache sizes are "Decoder".</summary>
public sealed class LocalModelOptions
{
    public const string SectionName = "LocalModel";

    /// <summary>The model id clients send (OpenAI's "model"); the model directory's name when empty.</summary>
    public string? Name { get; set; }

    /// <summary>A Jinja chat template file used instead of the one in tokenizer_config.json (or when it has none).</summary>
    public string? ChatTemplatePath { get; set; }

    /// <summary>Completion length when a request gives none.</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxTokens { get; set; } = 256;

    /// <summary>Load the weights when the host starts (true) rather than on the first request.</summary>
    public bool LoadAtStart { get; set; } = true;
}
