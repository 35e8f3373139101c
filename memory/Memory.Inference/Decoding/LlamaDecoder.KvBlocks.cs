namespace Memory.Inference.Decoding;

/// <summary>Block export and import for the KV store (see <see cref="IKvBlockAccess"/>).</summary>
public sealed partial class LlamaDecoder
{
    public ModelIdentity Identity { get; }

    public int KvBlockSize => _cache.BlockSize;

    public int FullBlockCount(DecoderSequence sequence)
    {
        CheckOpen(sequence);
        return sequence.Length / _cache.BlockSize;
    }

    public KvBlockData ExportBlock(DecoderSequence sequence, int blockIndex)
    {
        CheckOpen(sequence);
        int full = sequence.Length / _cache.BlockSize;
        if ((uint)blockIndex >= (uint)full)
        {
            throw new ArgumentOutOfRangeException(nameof(blockIndex), $"sequence {sequence.Id} has {full} full blocks of {_cache.BlockSize} tokens; block {blockIndex} is not one of them");
        }

        int layerLength = _cache.BlockSize * Config.KvDim;
        var keys = new Half[(long)Config.NumLayers * layerLength];
        var values = new Half[keys.Length];
        int block = sequence.Blocks[blockIndex];
        BindDevice();
        _kernels.Synchronize();
        for (int layer = 0; layer < Config.NumLayers; layer++)
        {
            _cache.CopyBlockToHost(layer, block, keys.AsSpan(layer * layerLength, layerLength), values.AsSpan(layer * layerLength, layerLength));
        }

        var tokens = new int[_cache.BlockSize];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = sequence.Tokens[(blockIndex * _cache.BlockSize) + i];
        }

        return new KvBlockData(blockIndex, Config.NumLayers, Config.KvDim, tokens, keys, values);
    }

    public DecoderSequence StartSequenceFromBlocks(IReadOnlyList<KvBlockData> prefix, SamplingOptions sampling, bool captureLogits = false)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        for (int i = 0; i < prefix.Count; i++)
        {
            CheckImportable(prefix[i], i);
        }

        if (prefix.Count > _cache.FreeBlocks)
        {
            throw new InvalidOperationException($"KV cache full: {prefix.Count} blocks to import, {_cache.FreeBlocks} free of {_cache.BlockCount}");
        }

        var sequence = StartSequence(sampling, captureLogits);
        try
        {
            _cache.Grow(sequence.Blocks, prefix.Count * _cache.BlockSize);
            BindDevice();
            _kernels.Synchronize();
            for (int i = 0; i < prefix.Count; i++)
            {
                var data = prefix[i];
                for (int layer = 0; layer < Config.NumLayers; layer++)
                {
                    _cache.CopyBlockFromHost(layer, sequence.Blocks[i], data.LayerKeys(layer).Span, data.LayerValues(layer).Span);
                }

                sequence.Append(data.Tokens.Span);
            }

            return sequence;
        }
        catch
        {
            EndSequence(sequence);
            throw;
        }
    }

    private void CheckImportable(KvBlockData data, int position)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.BlockIndex != position)
        {
            throw new ArgumentException($"prefix block {position} carries block index {data.BlockIndex}: blocks must start at 0 and follow each other");
        }

        if (data.NumLayers != Config.NumLayers || data.KvDim != Config.KvDim || data.BlockSize != _cache.BlockSize)
        {
            throw new ArgumentException(
                $"prefix block {position} has {data.NumLayers} layers × {data.KvDim} channels × {data.BlockSize} tokens; this decoder needs {Config.NumLayers} × {Config.KvDim} × {_cache.BlockSize}");
        }

        CheckTokens(data.Tokens.Span);
    }
}
