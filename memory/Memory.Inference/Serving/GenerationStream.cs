using System.Threading.Channels;

namespace Memory.Inference.Serving;

/// <summary>A completion in progress: its tokens as they are generated, and its summary once it ends.</summary>
public sealed class GenerationStream
{
    internal GenerationStream(ChannelReader<int> tokens, Task<GenerationSummary> completion)
    {
        Tokens = tokens;
        Completion = completion;
    }

    /// <summary>Generated token ids, in order; the channel completes when the generation ends (with its error if it failed).</summary>
    public ChannelReader<int> Tokens { get; }

    /// <summary>The summary; faults with the reason when the generation failed.</summary>
    public Task<GenerationSummary> Completion { get; }
}
