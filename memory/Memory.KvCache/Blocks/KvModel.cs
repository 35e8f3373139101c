using System.Globalization;

namespace Memory.KvCache.Blocks;

/// <summary>
/// What a block's keys and values depend on besides the tokens: the weights (a fingerprint), the KV element type and
/// the attention geometry. Two decoders share blocks only when every field is equal.
/// </summary>
public sealed record KvModel
{
    /// <summary>A fingerprint of the model's weights and configuration (e.g. SHA-256 of the checkpoint).</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Element type of the exported KV ("fp16").</summary>
    public string DType { get; init; } = "fp16";

    public required int Layers { get; init; }

    public required int KvHeads { get; init; }

    public required int HeadDim { get; init; }

    /// <summary>Channels per token per layer (kv heads × head dim).</summary>
    public int KvDim => KvHeads * HeadDim;

    /// <summary>The text hashed into every block key; changing any field gives a disjoint key space.</summary>
    public string Canonical => string.Create(CultureInfo.InvariantCulture, $"{Fingerprint}|{DType}|L{Layers}|H{KvHeads}|D{HeadDim}");

    /// <summary>A short, stable label for metadata rows and deletes "by model".</summary>
    public string Id => BlockKey.Hash(System.Text.Encoding.UTF8.GetBytes(Canonical)).Hex[..16];

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Fingerprint))
        {
            throw new ArgumentException("KvModel.Fingerprint is empty");
        }

        if (Layers < 1 || KvHeads < 1 || HeadDim < 1)
        {
            throw new ArgumentException($"KvModel geometry must be positive (layers {Layers}, kv heads {KvHeads}, head dim {HeadDim})");
        }
    }
}
