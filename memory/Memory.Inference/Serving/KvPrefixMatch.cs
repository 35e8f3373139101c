using Memory.Inference.Decoding;

namespace Memory.Inference.Serving;

/// <summary>Cached blocks found for the start of a prompt, held until disposed.</summary>
public sealed class KvPrefixMatch : IAsyncDisposable
{
    private readonly Func<ValueTask>? _release;
    private int _released;

    public KvPrefixMatch(IReadOnlyList<KvBlockData> blocks, IReadOnlyList<string> sources, Func<ValueTask>? release)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(sources);
        if (blocks.Count != sources.Count)
        {
            throw new ArgumentException("one source per block");
        }

        Blocks = blocks;
        Sources = sources;
        _release = release;
    }

    public static KvPrefixMatch None { get; } = new([], [], null);

    /// <summary>Blocks 0, 1, … of the prompt, in order.</summary>
    public IReadOnlyList<KvBlockData> Blocks { get; }

    /// <summary>The tier each block came from ("host", "disk", "redis").</summary>
    public IReadOnlyList<string> Sources { get; }

    public int Tokens => Blocks.Sum(b => b.BlockSize);

    public ValueTask DisposeAsync() =>
        _release is not null && Interlocked.Exchange(ref _released, 1) == 0 ? _release() : ValueTask.CompletedTask;
}
