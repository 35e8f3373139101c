using System.Diagnostics;
using Memory.Conversations.Model;
using Memory.Storage.Text;
using Memory.Storage.Vectors;

namespace Memory.Storage;

/// <summary>
/// One store instance's in-process indexes of the valid memories, vectors and text, each kept per tenant, and fed
/// by the store's change feed: every index change goes through here, so both indexes always hold the same rows.
/// Rows are the database's row numbers; callers re-read what a search returns, the database stays the truth.
/// Changes are applied one writer at a time, under <see cref="LockChangesAsync"/>; searches run alongside.
/// </summary>
internal sealed class MemoryIndexes : IDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);

    /// <summary>When the newest finished look at the change log began (a <see cref="Stopwatch"/> timestamp).</summary>
    private long _lookedFrom = long.MinValue;

    /// <summary>The tenant each indexed row belongs to: SQLite may hand a deleted row number to another tenant's new memory.</summary>
    private readonly Dictionary<long, string> _tenantOfRow = [];

    public MemoryIndexes(int dimensions) => Vectors = new VectorIndex(dimensions);

    public VectorIndex Vectors { get; }

    public TextIndex Texts { get; } = new();

    /// <summary>Adds or replaces a valid memory's row.</summary>
    public void Index(long row, string tenant, MemoryScope scope, ReadOnlySpan<float> embedding, string text)
    {
        if (_tenantOfRow.TryGetValue(row, out var previous) && !string.Equals(previous, tenant, StringComparison.Ordinal))
        {
            Forget(row, previous);
        }

        Vectors.Upsert(tenant, row, scope, embedding);
        Texts.Upsert(tenant, row, scope, IndexedText.Of(text));
        _tenantOfRow[row] = tenant;
    }

    /// <summary>Removes a row that was deleted or invalidated (or never valid); unknown rows are ignored.</summary>
    public void Forget(long row, string tenant)
    {
        Vectors.Remove(tenant, row);
        Texts.Remove(tenant, row);
        if (_tenantOfRow.Remove(row, out var indexed) && !string.Equals(indexed, tenant, StringComparison.Ordinal))
        {
            Vectors.Remove(indexed, row);
            Texts.Remove(indexed, row);
        }
    }

    /// <summary>Waits until this caller alone may change the indexes; disposing the result lets the next one in.</summary>
    public async Task<IDisposable> LockChangesAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        return new ChangeLock(_changes);
    }

    /// <summary>
    /// Brings the indexes up to every change committed before this call: runs <paramref name="look"/> (read the
    /// change log, apply what it says) unless a look that began after this call arrived has finished meanwhile. The
    /// hybrid search's vector and text searches arrive together; the second then waits for the first's look instead
    /// of making its own round trip.
    /// </summary>
    public async Task CatchUpAsync(Func<CancellationToken, Task> look, CancellationToken cancellationToken)
    {
        var arrived = Stopwatch.GetTimestamp();
        using (await LockChangesAsync(cancellationToken))
        {
            if (_lookedFrom > arrived)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            await look(cancellationToken);
            _lookedFrom = started;
        }
    }

    /// <summary>Drops a reset tenant's indexes at once; the tombstones its rows left are then replayed as no-ops.</summary>
    public async Task ForgetTenantAsync(string tenant, CancellationToken cancellationToken)
    {
        using (await LockChangesAsync(cancellationToken))
        {
            Vectors.RemoveTenant(tenant);
            Texts.RemoveTenant(tenant);
        }
    }

    public void Dispose()
    {
        Vectors.Dispose();
        Texts.Dispose();
        _changes.Dispose();
    }

    private sealed class ChangeLock(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
