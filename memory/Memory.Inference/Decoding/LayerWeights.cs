namespace Memory.Inference.Decoding;

/// <summary>
/// One decoder layer's tensors on the accelerator; absent biases are null. Q, K and V are stacked in one tensor, and so
/// are gate and up, so that each group is one launch (their biases likewise, zeros where a checkpoint has none).
/// </summary>
public sealed class LayerWeights : IDisposable
{
    public required DeviceTensor InputNorm { get; init; }

    /// <summary>[q_proj; k_proj; v_proj] rows stacked: [QDim + 2 · KvDim, hidden].</summary>
    public required DeviceTensor Qkv { get; init; }

    public DeviceTensor? QkvBias { get; init; }

    public required DeviceTensor O { get; init; }

    public DeviceTensor? OBias { get; init; }

    public required DeviceTensor PostAttentionNorm { get; init; }

    /// <summary>[gate_proj; up_proj] rows stacked: [2 · intermediate, hidden].</summary>
    public required DeviceTensor GateUp { get; init; }

    public DeviceTensor? GateUpBias { get; init; }

    public required DeviceTensor Down { get; init; }

    public DeviceTensor? DownBias { get; init; }

    public IEnumerable<DeviceTensor> All => new[] { InputNorm, Qkv, QkvBias, O, OBias, PostAttentionNorm, GateUp, GateUpBias, Down, DownBias }
        .OfType<DeviceTensor>();

    public void Dispose()
    {
        foreach (var tensor in All)
        {
            tensor.Dispose();
        }
    }
}
