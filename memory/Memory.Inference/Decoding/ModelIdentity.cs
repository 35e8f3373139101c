using Memory.Inference.Models;
using Memory.Inference.Safetensors;

namespace Memory.Inference.Decoding;

/// <summary>
/// What a persisted KV block depends on besides its tokens: the exact weights and config, the cache's element type and
/// the attention geometry. Two decoders with equal identities produce bit-identical keys and values for the same
/// tokens at the same positions on the same accelerator kind, so a KV store may key blocks by <see cref="Key"/>.
/// </summary>
/// <param name="WeightsFingerprint">Lower-case hex SHA-256 over config.json's bytes and every tensor (name, dtype, shape, data) in name order.</param>
/// <param name="Architecture">The config's architecture (e.g. LlamaForCausalLM).</param>
/// <param name="WeightDType">The checkpoint's element types, e.g. "BF16" or "F16+F32" when mixed.</param>
/// <param name="KvDType">The element type of exported key/value blocks ("float16").</param>
/// <param name="NumLayers">Decoder layers; a block holds keys and values of every layer.</param>
/// <param name="NumKvHeads">Key/value heads per layer.</param>
/// <param name="HeadDim">Channels per head.</param>
public sealed record ModelIdentity(
    string WeightsFingerprint,
    string Architecture,
    string WeightDType,
    string KvDType,
    int NumLayers,
    int NumKvHeads,
    int HeadDim)
{
    /// <summary>Channels of one token's keys (or values) in one layer: <see cref="NumKvHeads"/> × <see cref="HeadDim"/>.</summary>
    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>The identity of a model directory without loading it onto an accelerator (reads and hashes the weights).</summary>
    public static ModelIdentity Read(string directory)
    {
        string configPath = Path.Combine(directory, "config.json");
        var config = ModelConfigReader.Read(configPath);
        using var checkpoint = SafetensorsCheckpoint.Open(directory);
        return Of(configPath, config, checkpoint);
    }

    internal static ModelIdentity Of(string configPath, ModelConfig config, SafetensorsCheckpoint checkpoint) => new(
        Decoding.WeightsFingerprint.Compute(configPath, checkpoint),
        config.Architecture,
        Decoding.WeightsFingerprint.DTypes(checkpoint),
        "float16",
        config.NumLayers,
        config.NumKvHeads,
        config.HeadDim);

    /// <summary>A canonical one-line form of every field, for hashing into block keys.</summary>
    public string Key => $"{WeightsFingerprint}|{Architecture}|{WeightDType}|kv={KvDType}|L={NumLayers}|kvh={NumKvHeads}|hd={HeadDim}";
}
