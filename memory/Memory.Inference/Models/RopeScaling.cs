namespace Memory.Inference.Models;

/// <summary>Rotary-embedding frequency scaling from config.json ("rope_scaling" or transformers 5's "rope_parameters").</summary>
/// <param name="Type">"default", "linear" or "llama3".</param>
public sealed record RopeScaling(
    string Type,
    double Factor = 1.0,
    double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary>No scaling.</summary>
    public static RopeScaling None { get; } = new("default");
}
