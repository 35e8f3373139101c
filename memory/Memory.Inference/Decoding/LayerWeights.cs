namespace Memory.Inference.Decoding;

/// <summary>One decoder layer's tensors on the accelerator; absent biases are null.</summary>
public sealed class LayerWeights : IDisposable
{
    public required DeviceTensor InputNorm { get; init; }

    public required DeviceTensor Q { get; init; }

    public required DeviceTensor K { get; init; }

    public required DeviceTensor V { get; init; }

    public required DeviceTensor O { get; init; }

    public DeviceTensor? QBias { get; init; }

    public DeviceTensor? KBias { get; init; }

    public DeviceTensor? VBias { get; init; }

    public DeviceTensor? OBias { get; init; }

    public required DeviceTensor PostAttentionNorm { get; init; }

    public required DeviceTensor Gate { get; init; }

    public required DeviceTensor Up { get; init; }

    public required DeviceTensor Down { get; init; }

    public DeviceTensor? GateBias { get; init; }

    public DeviceTensor? UpBias { get; init; }

    public DeviceTensor? DownBias { get; init; }

    public IEnumerable<DeviceTensor> All => new[] { InputNorm, Q, K, V, O, QBias, KBias, VBias, OBias, PostAttentionNorm, Gate, Up, Down, GateBias, UpBias, DownBias }
        .OfType<DeviceTensor>();

    public void Dispose()
    {
        foreach (var tensor in All)
        {
            tensor.Dispose();
        }
    }
}
