using Memory.KvCache.Blocks;

namespace Memory.KvCache;

/// <summary>
/// The longest cached prefix found for a prompt: its blocks, held (referenced) in host memory so they cannot be evicted
/// while a sequence imports them. Dispose to release the references.
/// </summary>
public sealed class KvPrefixLease : IAsyncDisposable
{
    private readonly KvCacheStore _store;
    private bool _released;

    internal KvPrefixLease(KvCacheStore store, IReadOnlyList<KvBlock> blocks, IReadOnlyList<string> sources)
    {
        _store = store;
        Blocks = blocks;
        Sources = sources;
    }

    /// <summary>Blocks 0, 1, … of the prompt, in order.</summary>
    public IReadOnlyList<KvBlock> Blocks { get; }

    /// <summary>The tier each block came from ("host", "disk", "redis").</summary>
    public IReadOnlyList<string> Sources { get; }

    public int Tokens => Blocks.Sum(b => b.Tokens.Length);

    public async ValueTask DisposeAsync()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        await _store.ReleaseAsync(Blocks);
    }
}
