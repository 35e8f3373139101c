using ILGPU;
using ILGPU.Runtime;

namespace Memory.Inference.Decoding;

/// <summary>Activation and batch-description buffers of one forward pass, sized once for the largest batch.</summary>
internal sealed class ForwardBuffers : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public ForwardBuffers(Accelerator accelerator, Models.ModelConfig config, int maxTokens, int maxLogitRows, int maxTableEntries)
    {
        MaxTokens = maxTokens;
        MaxLogitRows = maxLogitRows;
        Residual = Floats(accelerator, maxTokens * config.HiddenSize);
        Qkv = Floats(accelerator, maxTokens * (config.QDim + (2 * config.KvDim)));
        Attention = Floats(accelerator, maxTokens * config.QDim);
        GateUp = Floats(accelerator, maxTokens * 2 * config.IntermediateSize);
        FinalHidden = Floats(accelerator, maxLogitRows * config.HiddenSize);
        Logits = Floats(accelerator, (long)maxLogitRows * config.VocabSize);
        Ids = Ints(accelerator, maxTokens);
        Positions = Ints(accelerator, maxTokens);
        TableOffsets = Ints(accelerator, maxTokens);
        BlockTable = Ints(accelerator, Math.Max(1, maxTableEntries));
        LogitRows = Ints(accelerator, maxLogitRows);
        Temperatures = Floats(accelerator, maxLogitRows);
        TopKs = Ints(accelerator, maxLogitRows);
        TopPs = Floats(accelerator, maxLogitRows);
        Uniforms = Floats(accelerator, maxLogitRows);
        Sampled = Ints(accelerator, maxLogitRows);
    }

    public int MaxTokens { get; }

    public int MaxLogitRows { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Residual { get; }

    /// <summary>The stacked projection's output: [tokens, QDim] queries, then [tokens, KvDim] keys, then values.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Qkv { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Attention { get; }

    /// <summary>[tokens, intermediate] gate, then [tokens, intermediate] up; SwiGLU leaves its result in the gate part.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> GateUp { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> FinalHidden { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Logits { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> Ids { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> Positions { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> TableOffsets { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> BlockTable { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> LogitRows { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Temperatures { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> TopKs { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> TopPs { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Uniforms { get; }

    public MemoryBuffer1D<int, Stride1D.Dense> Sampled { get; }

    public void Dispose()
    {
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Floats(Accelerator accelerator, long count)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(1, count));
        _owned.Add(buffer);
        return buffer;
    }

    private MemoryBuffer1D<int, Stride1D.Dense> Ints(Accelerator accelerator, long count)
    {
        var buffer = accelerator.Allocate1D<int>(Math.Max(1, count));
        _owned.Add(buffer);
        return buffer;
    }
}
