namespace Memory.Cli.DecodeBench;

/// <summary>The JSON object <c>memory bench decode</c> prints last.</summary>
/// <param name="TensorCores">Whether the prefill products ran on the tensor cores (<c>--tensor-cores</c> and the device).</param>
/// <param name="TensorCoreAttention">Whether the prefill attention did too (<c>--tensor-core-attention</c>, head dim 64).</param>
/// <param name="PrefillChunk">Tokens per prefill forward pass (<c>--prefill-chunk</c>).</param>
/// <param name="SharedKvAttention">Whether decode attention shared each kv head's keys and values among its query heads (<c>--shared-kv-attention</c>, on a GPU).</param>
internal sealed record DecodeBenchReport(
    string Device,
    string Model,
    long WeightBytes,
    bool TensorCores,
    bool TensorCoreAttention,
    int PrefillChunk,
    bool SharedKvAttention,
    double CopyBandwidthGBps,
    IReadOnlyList<DecodeContextResult> Contexts,
    TransformersPeer? Peer);

/// <summary>
/// One context length: prefill speed, the matrix throughput it amounts to (2 FLOPs per weight per token for the layers,
/// plus causal attention's QK and PV products; the head's last-token projection left out), the peer's prefill speed,
/// time to first token, then decode at each batch size.
/// </summary>
internal sealed record DecodeContextResult(
    int Context,
    double PrefillTokensPerSecond,
    double PrefillTflops,
    double? PeerPrefillTokensPerSecond,
    double? PrefillSpeedupOverPeer,
    double TimeToFirstTokenMs,
    IReadOnlyList<DecodeBatchResult> Batches);

/// <summary>
/// Decode at one batch size: tokens per second over all sequences; at batch 1 also the bytes one step reads (weights
/// plus the context's KV), the roofline that bandwidth allows, our share of it, and the ratio to the peer.
/// </summary>
internal sealed record DecodeBatchResult(
    int Batch,
    int Steps,
    double TokensPerSecond,
    double MsPerStep,
    long BytesPerStep,
    double RooflineTokensPerSecond,
    double ShareOfRoofline,
    double? PeerTokensPerSecond,
    double? SpeedupOverPeer);

/// <summary>Hugging Face transformers' figures for the same weights (tools/bench_transformers.py, same machine, same run).</summary>
/// <param name="Source">Library versions, attention implementation, dtype and device.</param>
/// <param name="DecodeTokensPerSecond">Keyed "CONTEXTxBATCH".</param>
/// <param name="PrefillTokensPerSecond">Keyed by context length.</param>
internal sealed record TransformersPeer(string Source, IReadOnlyDictionary<string, double> DecodeTokensPerSecond, IReadOnlyDictionary<string, double> PrefillTokensPerSecond);
