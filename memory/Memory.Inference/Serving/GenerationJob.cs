using System.Diagnostics;
using System.Threading.Channels;
using Memory.Inference.Decoding;

namespace Memory.Inference.Serving;

/// <summary>A request's state on the generation loop (touched by the loop thread only, except the channels).</summary>
internal sealed class GenerationJob
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<GenerationSummary> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private long _admitted;
    private long _firstToken;

    public GenerationJob(GenerationRequest request, int reservedBlocks, CancellationToken cancellationToken)
    {
        Request = request;
        ReservedBlocks = reservedBlocks;
        CancellationToken = cancellationToken;
        Stream = new GenerationStream(_tokens.Reader, _completion.Task);
    }

    public GenerationRequest Request { get; }

    /// <summary>KV blocks set aside for prompt + MaxTokens at admission, so a running sequence never finds the cache full.</summary>
    public int ReservedBlocks { get; }

    public CancellationToken CancellationToken { get; }

    public GenerationStream Stream { get; }

    public DecoderSequence? Sequence { get; set; }

    public int CachedTokens { get; set; }

    public IReadOnlyList<string> CachedFrom { get; set; } = [];

    public int Generated { get; private set; }

    public TimeSpan PrefixLookup { get; set; }

    public TimeSpan PrefixImport { get; set; }

    public TimeSpan Prefill { get; set; }

    /// <summary>Full blocks of the sequence already handed to the KV cache (or imported from it).</summary>
    public int StoredBlocks { get; set; }

    public bool IsFinished => _completion.Task.IsCompleted;

    public void MarkAdmitted() => _admitted = Stopwatch.GetTimestamp();

    public void Emit(int token)
    {
        if (_firstToken == 0)
        {
            _firstToken = Stopwatch.GetTimestamp();
        }

        Generated++;
        _tokens.Writer.TryWrite(token);
    }

    public void Finish(FinishReason reason)
    {
        long now = Stopwatch.GetTimestamp();
        var summary = new GenerationSummary(
            Request.Prompt.Count,
            CachedTokens,
            CachedFrom,
            Generated,
            reason,
            Stopwatch.GetElapsedTime(_submitted, _admitted == 0 ? now : _admitted),
            Stopwatch.GetElapsedTime(_submitted, _firstToken == 0 ? now : _firstToken),
            Stopwatch.GetElapsedTime(_submitted, now))
        {
            PrefixLookup = PrefixLookup,
            PrefixImport = PrefixImport,
            Prefill = Prefill,
        };
        _tokens.Writer.TryComplete();
        _completion.TrySetResult(summary);
    }

    public void Fail(Exception error)
    {
        _tokens.Writer.TryComplete(error);
        _completion.TrySetException(error);
    }
}
