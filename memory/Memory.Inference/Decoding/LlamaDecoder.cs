using ILGPU;
using ILGPU.Runtime;
using Memory.Inference.Models;
using Memory.Inference.Safetensors;
using Memory.Kernels;

namespace Memory.Inference.Decoding;

/// <summary>
/// The Llama-family forward pass (RMSNorm, RoPE, grouped-query attention over a paged KV cache, SwiGLU MLP) on ILGPU
/// kernels. Every forward pass is one flattened batch of tokens from any number of sequences, each token carrying its
/// position and its sequence's block table, so chunked prefill and batched decode are the same code.
/// </summary>
public sealed partial class LlamaDecoder : IDecoder, IKvBlockAccess
{
    private readonly DecoderAccelerator? _ownedAccelerator;
    private readonly Accelerator _accelerator;
    private readonly DecoderKernels _kernels;
    private readonly LlamaWeights _weights;
    private readonly PagedKvCache _cache;
    private readonly ForwardBuffers _buffers;
    private readonly RopeTable _rope;
    private readonly int _maxSequences;
    private readonly HashSet<DecoderSequence> _open = [];
    private int _nextSequenceId;
    private bool _disposed;

    private LlamaDecoder(DecoderAccelerator? owned, Accelerator accelerator, ModelConfig config, LlamaWeights weights, ModelIdentity identity, DecoderOptions options)
    {
        Identity = identity;
        _ownedAccelerator = owned;
        _accelerator = accelerator;
        Config = config;
        _weights = weights;
        _maxSequences = options.MaxSequences;
        _kernels = new DecoderKernels(accelerator, attentionSplitKeys: options.AttentionSplitKeys, gemvSliceLength: options.GemvSliceLength, fewTokenTile: options.FewTokenTile, tensorCores: options.TensorCores, tensorCoreMinTokens: options.TensorCoreMinTokens, tensorCoreAttention: options.TensorCoreAttention, sharedKvAttention: options.SharedKvAttention);
        if (config.HeadDim > _kernels.MaxHeadDim || config.HeadDim % 2 != 0)
        {
            throw new ModelLoadException($"head_dim {config.HeadDim} is not supported on this accelerator (even, at most {_kernels.MaxHeadDim})");
        }

        _cache = new PagedKvCache(accelerator, config.NumLayers, config.KvDim, options.KvBlockSize, options.KvCacheTokens);
        // Logit rows: one per sequence of a decode step, and one per token of an all-logits prefill chunk, which is cut to
        // at most LogitChunk tokens. Not MaxBatchTokens rows: at its default of 2048 and a 152K vocabulary the buffer
        // alone would be 1.2 GB of floats; at 512 it is 0.3 GB.
        _buffers = new ForwardBuffers(accelerator, config, options.MaxBatchTokens, Math.Max(Math.Min(options.MaxBatchTokens, LogitChunk), options.MaxSequences), _cache.BlockCount);
        var invFreq = RopeFrequencies.Compute(config.HeadDim, config.RopeTheta, config.RopeScaling);
        _rope = new RopeTable(accelerator, invFreq);
    }

    /// <summary>Most tokens of an all-logits prefill forward pass (<see cref="PrefillWithAllLogits"/>): the logits buffer's rows.</summary>
    public const int LogitChunk = 512;

    public ModelConfig Config { get; }

    /// <summary>The accelerator the decoder runs on (for reporting).</summary>
    public Accelerator Accelerator => _accelerator;

    public long WeightBytes => _weights.Bytes;

    /// <summary>Whether prefill products run on the tensor cores (<see cref="DecoderOptions.TensorCores"/> and a device that has them).</summary>
    public bool UsesTensorCores => _kernels.TensorCores;

    /// <summary>Whether prefill chunks of head dimension 64 run their attention on the tensor cores.</summary>
    public bool UsesTensorCoreAttention => _kernels.TensorCoreAttention;

    /// <summary>Whether decode attention may share each kv head's keys and values among its query heads (<see cref="DecoderOptions.SharedKvAttention"/>, on an accelerator with groups).</summary>
    public bool UsesSharedKvAttention => _kernels.SharedKvAttention;

    public long KvCacheBytes => _cache.Bytes;

    public int FreeKvBlocks => _cache.FreeBlocks;

    public DecoderCapacity Capacity => new(
        _cache.BlockSize,
        _cache.BlockCount,
        _maxSequences,
        Config.MaxPositionEmbeddings);

    /// <summary>Loads config.json and the safetensors weights of <see cref="DecoderOptions.ModelDirectory"/> onto the configured accelerator.</summary>
    public static LlamaDecoder Open(DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string directory = options.ModelDirectory ?? throw new ArgumentException("DecoderOptions.ModelDirectory is not set");
        var config = ModelConfigReader.Read(Path.Combine(directory, "config.json"));
        var accelerator = DecoderAccelerator.Create(options.Accelerator, config.HeadDim);
        try
        {
            return Open(options, accelerator.Accelerator, accelerator);
        }
        catch
        {
            accelerator.Dispose();
            throw;
        }
    }

    /// <summary>Loads onto an accelerator the caller owns.</summary>
    public static LlamaDecoder Open(DecoderOptions options, Accelerator accelerator) => Open(options, accelerator, null);

    public DecoderSequence StartSequence(SamplingOptions sampling, bool captureLogits = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(sampling);
        if (_open.Count >= _maxSequences)
        {
            throw new InvalidOperationException($"{_maxSequences} sequences are already open (DecoderOptions.MaxSequences)");
        }

        var sequence = new DecoderSequence(_nextSequenceId++, sampling, captureLogits);
        _open.Add(sequence);
        return sequence;
    }

    public void Prefill(DecoderSequence sequence, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        CheckOpen(sequence);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        }

        CheckTokens(tokens);
        int chunk = _buffers.MaxTokens;
        for (int start = 0; start < tokens.Length; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(chunk, tokens.Length - start);
            bool last = start + count == tokens.Length;
            Forward([new BatchPart(sequence, tokens.Slice(start, count).ToArray())], last ? LogitsWanted.LastOfEach : LogitsWanted.None);
        }
    }

    public float[] PrefillWithAllLogits(DecoderSequence sequence, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        CheckOpen(sequence);
        CheckTokens(tokens);
        var result = new float[(long)tokens.Length * Config.VocabSize];
        int chunk = Math.Min(_buffers.MaxTokens, _buffers.MaxLogitRows);
        for (int start = 0; start < tokens.Length; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(chunk, tokens.Length - start);
            Forward([new BatchPart(sequence, tokens.Slice(start, count).ToArray())], LogitsWanted.All);
            _buffers.Logits.View.SubView(0, (long)count * Config.VocabSize)
                .CopyToCPU(ref result[(long)start * Config.VocabSize], (long)count * Config.VocabSize);
        }

        return result;
    }

    public IReadOnlyList<int> Step(IReadOnlyList<DecoderSequence> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var fed = new int[sequences.Count];
        if (sequences.Distinct().Count() != sequences.Count)
        {
            throw new ArgumentException("a sequence appears twice in one step", nameof(sequences));
        }

        for (int i = 0; i < sequences.Count; i++)
        {
            CheckOpen(sequences[i]);
            fed[i] = sequences[i].NextToken ?? throw new InvalidOperationException($"sequence {sequences[i].Id} has no next token: prefill it first");
        }

        int batch = Math.Min(_buffers.MaxTokens, _buffers.MaxLogitRows);
        for (int start = 0; start < sequences.Count; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parts = new List<BatchPart>();
            for (int i = start; i < Math.Min(sequences.Count, start + batch); i++)
            {
                parts.Add(new BatchPart(sequences[i], [fed[i]]));
            }

            Forward(parts, LogitsWanted.LastOfEach);
        }

        return fed;
    }

    public void EndSequence(DecoderSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (_open.Remove(sequence))
        {
            _cache.Release(sequence.Blocks);
            sequence.IsClosed = true;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _buffers.Dispose();
        _rope.Dispose();
        _cache.Dispose();
        _weights.Dispose();
        _kernels.Dispose();
        _ownedAccelerator?.Dispose();
    }

    private static LlamaDecoder Open(DecoderOptions options, Accelerator accelerator, DecoderAccelerator? owned)
    {
        string directory = options.ModelDirectory ?? throw new ArgumentException("DecoderOptions.ModelDirectory is not set");
        var config = ModelConfigReader.Read(Path.Combine(directory, "config.json"));
        using var checkpoint = SafetensorsCheckpoint.Open(directory);
        var weights = LlamaWeights.Load(accelerator, checkpoint, config);
        try
        {
            var identity = ModelIdentity.Of(Path.Combine(directory, "config.json"), config, checkpoint);
            return new LlamaDecoder(owned, accelerator, config, weights, identity, options);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A CUDA context is current per thread, and callers (a generation loop, a test, a benchmark) may come from any
    /// thread, one at a time; binding before device work makes that safe and costs one driver call.
    /// </summary>
    private void BindDevice() => _accelerator.Bind();

    private void CheckOpen(DecoderSequence sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(sequence);
        if (!_open.Contains(sequence))
        {
            throw new InvalidOperationException($"sequence {sequence.Id} is not open on this decoder");
        }
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {Config.VocabSize}");
            }
        }
    }

    private void Forward(List<BatchPart> parts, LogitsWanted wanted)
    {
        BindDevice();
        var c = Config;
        int tokens = parts.Sum(p => p.Tokens.Length);
        int needed = parts.Sum(p => _cache.BlocksNeeded(p.Sequence.Blocks, p.Sequence.Length + p.Tokens.Length));
        if (needed > _cache.FreeBlocks)
        {
            throw new InvalidOperationException($"KV cache full: {needed} more blocks of {_cache.BlockSize} tokens needed, {_cache.FreeBlocks} free of {_cache.BlockCount}");
        }

        var ids = new int[tokens];
        var positions = new int[tokens];
        var offsets = new int[tokens];
        var table = new List<int>();
        var logitRows = new List<int>();
        int t = 0;
        foreach (var part in parts)
        {
            var sequence = part.Sequence;
            _cache.Grow(sequence.Blocks, sequence.Length + part.Tokens.Length);
            int tableOffset = table.Count;
            table.AddRange(sequence.Blocks);
            for (int i = 0; i < part.Tokens.Length; i++, t++)
            {
                ids[t] = part.Tokens[i];
                positions[t] = sequence.Length + i;
                offsets[t] = tableOffset;
                if (wanted == LogitsWanted.All || (wanted == LogitsWanted.LastOfEach && i == part.Tokens.Length - 1))
                {
                    logitRows.Add(t);
                }
            }
        }

        int maxContext = positions.Max() + 1;
        _rope.EnsurePositions(maxContext);
        var b = _buffers;
        Upload(b.Ids, ids);
        Upload(b.Positions, positions);
        Upload(b.TableOffsets, offsets);
        Upload(b.BlockTable, table.ToArray());

        var x = b.Residual.View;
        var q = b.Qkv.View.SubView(0, (long)tokens * c.QDim);
        var k = b.Qkv.View.SubView((long)tokens * c.QDim, (long)tokens * c.KvDim);
        var v = b.Qkv.View.SubView((long)tokens * (c.QDim + c.KvDim), (long)tokens * c.KvDim);
        var attention = b.Attention.View;
        int qkvRows = c.QDim + (2 * c.KvDim);
        // One sequence's chunk of several tokens: the tiled prefill attention shares each key tile among its queries.
        bool prefill = parts.Count == 1 && tokens > 1;
        var pos = b.Positions.View;
        var tableOffsets = b.TableOffsets.View;
        var blockTable = b.BlockTable.View;
        var none = new WeightView(default, WeightType.None);
        _kernels.Embedding(b.Ids.View, _weights.Embedding.View, x, tokens, c.HiddenSize);
        for (int l = 0; l < c.NumLayers; l++)
        {
            var layer = _weights.Layers[l];
            // The input norm is applied inside the stacked Q/K/V product; so is the post-attention norm in gate/up's.
            _kernels.MatMul(x, layer.Qkv.View, layer.QkvBias?.View ?? none, b.Qkv.View, tokens, qkvRows, c.HiddenSize, accumulate: false, layer.InputNorm.View, c.RmsNormEps, c.QDim, c.QDim + c.KvDim);
            var keys = _cache.Keys(l);
            var values = _cache.Values(l);
            _kernels.RotaryKvWrite(q, k, v, keys, values, pos, tableOffsets, blockTable, _rope, tokens, c.NumHeads, c.NumKvHeads, c.HeadDim, _cache.BlockSize);
            int window = c.SlidingWindow is int w && l >= c.SlidingWindowFirstLayer ? w : 0;
            if (prefill)
            {
                _kernels.PrefillAttention(q, keys, values, pos, tableOffsets, blockTable, attention, tokens, c.NumHeads, c.NumKvHeads, c.HeadDim, _cache.BlockSize, maxContext, window);
            }
            else
            {
                _kernels.Attention(q, keys, values, pos, tableOffsets, blockTable, attention, tokens, c.NumHeads, c.NumKvHeads, c.HeadDim, _cache.BlockSize, maxContext, window);
            }
            _kernels.MatMul(attention, layer.O.View, layer.OBias?.View ?? none, x, tokens, c.HiddenSize, c.QDim, accumulate: true);
            _kernels.MatMul(x, layer.GateUp.View, layer.GateUpBias?.View ?? none, b.GateUp.View, tokens, 2 * c.IntermediateSize, c.HiddenSize, accumulate: false, layer.PostAttentionNorm.View, c.RmsNormEps, c.IntermediateSize);
            _kernels.GatedMatMul(b.GateUp.View, layer.Down.View, layer.DownBias?.View ?? none, x, tokens, c.HiddenSize, c.IntermediateSize, accumulate: true);
        }

        foreach (var part in parts)
        {
            part.Sequence.Append(part.Tokens);
        }

        if (wanted == LogitsWanted.None)
        {
            _kernels.Synchronize();
            return;
        }

        int rows = logitRows.Count;
        Upload(b.LogitRows, logitRows.ToArray());
        _kernels.RmsNorm(x, b.LogitRows.View, _weights.FinalNorm.View, b.FinalHidden.View, rows, c.HiddenSize, c.RmsNormEps);
        _kernels.MatMul(b.FinalHidden.View, _weights.LmHead.View, none, b.Logits.View, rows, c.VocabSize, c.HiddenSize, accumulate: false);
        Sample(parts, wanted == LogitsWanted.All ? rows - 1 : 0);
    }

    /// <summary>Samples each part's next token from its logits row (the last row of an all-positions pass starts at <paramref name="firstRow"/>).</summary>
    private void Sample(List<BatchPart> parts, int firstRow)
    {
        var b = _buffers;
        int rows = parts.Count;
        var temperatures = new float[rows];
        var topKs = new int[rows];
        var topPs = new float[rows];
        var uniforms = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var s = parts[r].Sequence.Sampling;
            temperatures[r] = s.Temperature;
            topKs[r] = s.TopK;
            topPs[r] = s.TopP;
            uniforms[r] = s.Temperature > 0 ? parts[r].Sequence.NextUniform() : 0f;
        }

        Upload(b.Temperatures, temperatures);
        Upload(b.TopKs, topKs);
        Upload(b.TopPs, topPs);
        Upload(b.Uniforms, uniforms);
        long vocab = Config.VocabSize;
        var logits = b.Logits.View.SubView(firstRow * vocab, rows * vocab);
        _kernels.Sample(logits, b.Temperatures.View, b.TopKs.View, b.TopPs.View, b.Uniforms.View, b.Sampled.View, rows, Config.VocabSize);
        _kernels.Synchronize();
        var sampled = new int[rows];
        b.Sampled.View.SubView(0, rows).CopyToCPU(sampled);
        for (int r = 0; r < rows; r++)
        {
            var sequence = parts[r].Sequence;
            sequence.NextToken = sampled[r];
            if (sequence.CaptureLogits)
            {
                var host = new float[vocab];
                logits.SubView(r * vocab, vocab).CopyToCPU(host);
                sequence.LastLogits = host;
            }
        }
    }

    private static void Upload<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, T[] values)
        where T : unmanaged
    {
        if (values.Length > 0)
        {
            buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        }
    }

    private enum LogitsWanted
    {
        None,
        LastOfEach,
        All,
    }
}
