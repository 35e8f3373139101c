using System.ComponentModel.DataAnnotations;

namespace Memory.Inference.Decoding;

/// <summary>Configuration of the local decoder (section "Decoder").</summary>
public sealed class DecoderOptions
{
    public const string SectionName = "Decoder";

    /// <summary>Hugging Face model directory (config.json, *.safetensors, tokenizer.json).</summary>
    public string? ModelDirectory { get; set; }

    public AcceleratorPreference Accelerator { get; set; } = AcceleratorPreference.Auto;

    /// <summary>Tokens per paged KV block.</summary>
    [Range(1, 65536)]
    public int KvBlockSize { get; set; } = 256;

    /// <summary>Total tokens the KV cache holds across all sequences (rounded up to whole blocks).</summary>
    [Range(1, int.MaxValue)]
    public int KvCacheTokens { get; set; } = 32768;

    /// <summary>
    /// Tokens per forward pass: the prefill chunk and the largest decode batch. 2048: with the products and the
    /// attention on the tensor cores an 8K prefill ran 1.6× faster in 2048-token chunks than in 512 (H200,
    /// docs/benchmarks.md); a chunk holds up the decode steps of other sequences for its duration (~27 ms there).
    /// </summary>
    [Range(1, 65536)]
    public int MaxBatchTokens { get; set; } = 2048;

    /// <summary>Sequences that may be open at once.</summary>
    [Range(1, 4096)]
    public int MaxSequences { get; set; } = 64;

    /// <summary>
    /// Tuning: longest K slice one group of the single-token product reads, a multiple of 8 (null: the kernels'
    /// default, 1024; see docs/benchmarks.md).
    /// </summary>
    [Range(8, 65536)]
    public int? GemvSliceLength { get; set; }

    /// <summary>
    /// Tuning: widest token tile of the few-token product that decode steps of 2 to 32 sequences take, 4 or 8; 0 sends
    /// them to the warp-per-row product instead (an A/B switch). Null: the kernels' default, 8.
    /// </summary>
    public int? FewTokenTile { get; set; }

    /// <summary>
    /// Products of 16-bit weights over many tokens (prefill chunks) on the tensor cores, x rounded to the weight's type
    /// as transformers does (CUDA sm_80 or newer; elsewhere ignored). False: the FP32 tiled GEMM, for A/B comparisons.
    /// </summary>
    public bool TensorCores { get; set; } = true;

    /// <summary>
    /// With <see cref="TensorCores"/>, the prefill attention of head dimension 64 on the tensor cores too (chunks of at
    /// least 64 tokens). False: the SIMT prefill attention, for A/B comparisons.
    /// </summary>
    public bool TensorCoreAttention { get; set; } = true;

    /// <summary>Tuning: fewest tokens a product runs on the tensor cores with (null: the kernels' default, 128).</summary>
    [Range(1, 65536)]
    public int? TensorCoreMinTokens { get; set; }

    /// <summary>
    /// Decode attention with one group per kv head serving all the query heads that share it, so each key and value is
    /// read once per split rather than once per query head (the kernels' DecodeAttentionKernel, where the shape allows:
    /// at most 8 query heads per kv head, head dim a multiple of 8 up to 128). False: a group per query head as before,
    /// for A/B comparisons.
    /// </summary>
    public bool SharedKvAttention { get; set; } = true;

    /// <summary>Tuning: keys per group of the split decode attention (null: one attention group's width, 128 on a GPU).</summary>
    [Range(1, 65536)]
    public int? AttentionSplitKeys { get; set; }

    /// <summary>Throws with every problem named when the options cannot work.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        if (GemvSliceLength is int slice && slice % 8 != 0)
        {
            // The single-token product reads eight weights per load: a slice must hold whole loads.
            results.Add(new ValidationResult($"The field GemvSliceLength must be a multiple of 8 (got {slice}).", [nameof(GemvSliceLength)]));
        }

        if (FewTokenTile is int tile && tile is not (0 or 4 or 8))
        {
            // One compiled kernel per tile: a quad of tokens or two.
            results.Add(new ValidationResult($"The field FewTokenTile must be 0 (off), 4 or 8 (got {tile}).", [nameof(FewTokenTile)]));
        }

        if (results.Count > 0)
        {
            throw new ArgumentException("invalid decoder options: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        }
    }
}
