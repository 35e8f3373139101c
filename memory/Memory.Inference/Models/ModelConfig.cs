namespace Memory.Inference.Models;

/// <summary>The parts of a Hugging Face config.json the Llama-family decoder needs.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public required float RmsNormEps { get; init; }

    public required double RopeTheta { get; init; }

    public required RopeScaling RopeScaling { get; init; }

    public required bool TieWordEmbeddings { get; init; }

    /// <summary>q, k and v projections carry a bias (Qwen2 always; Llama with attention_bias).</summary>
    public required bool QkvBias { get; init; }

    /// <summary>The output projection carries a bias (Llama with attention_bias).</summary>
    public required bool OutputBias { get; init; }

    /// <summary>gate, up and down projections carry a bias (Llama with mlp_bias).</summary>
    public required bool MlpBias { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    /// <summary>The sliding attention window (Mistral; Qwen2 with use_sliding_window), if the model uses one: a token attends to itself and the window − 1 positions before it.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>The first layer the window applies to (Qwen2's max_window_layers; 0 for Mistral); earlier layers attend fully.</summary>
    public int SlidingWindowFirstLayer { get; init; }

    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public int QDim => NumHeads * HeadDim;

    public int KvDim => NumKvHeads * HeadDim;
}
