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

    public KvBlockData ExportBlock(DecoderSequence sequence, int blockIndex) => ExportBlocks(sequence, blockIndex, 1)[0];

    public IReadOnlyList<KvBlockData> ExportBlocks(DecoderSequence sequence, int firstBlock, int count)
    {
        CheckOpen(sequence);
        int full = sequence.Length / _cache.BlockSize;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (firstBlock < 0 || firstBlock + count > full || (count == 0 && firstBlock > full))
        {
            throw new ArgumentOutOfRangeException(nameof(firstBlock), $"sequence {sequence.Id} has {full} full blocks of {_cache.BlockSize} tokens; blocks {firstBlock}..{firstBlock + count - 1} are not all among them");
        }

        BindDevice();
        _kernels.Synchronize();
        var copies = _cache.ExportBlocks(sequence.Blocks.GetRange(firstBlock, count));
        var blocks = new KvBlockData[count];
        for (int i = 0; i < count; i++)
        {
            var tokens = sequence.Tokens.Skip((firstBlock + i) * _cache.BlockSize).Take(_cache.BlockSize).ToArray();
            blocks[i] = new KvBlockData(firstBlock + i, Config.NumLayers, Config.KvDim, tokens, copies[i].Keys, copies[i].Values);
        }

        return blocks;
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
            _cache.ImportBlocks(sequence.Blocks, prefix);
            foreach (var data in prefix)
            {
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
