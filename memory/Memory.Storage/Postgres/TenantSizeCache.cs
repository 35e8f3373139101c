using System.Collections.Concurrent;

namespace Memory.Storage.Postgres;

/// <summary>
/// Recently counted tenant sizes, the N of the database text rank's IDF. Counting reads up to the rank's cap of rows
/// (5–20 ms for 10,000 on the dev VM), so a run of searches in one tenant counts once. An entry lives for
/// <see cref="Lifetime"/> and is dropped as soon as this store writes to the tenant, so one server ranks exactly as if it
/// counted every time; another server's writes are seen within the lifetime (N only weighs words against each other).
/// A count per tenant, not the tenant's data: this is all the Database mode keeps in process.
/// </summary>
internal sealed class TenantSizeCache
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private const int MaxTenants = 4_096;

    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, (long Size, long CountedAt)> _sizes = new(StringComparer.Ordinal);

    public TenantSizeCache(TimeProvider clock) => _clock = clock;

    public bool TryGet(string tenant, out long size)
    {
        size = 0;
        if (!_sizes.TryGetValue(tenant, out var entry) || _clock.GetElapsedTime(entry.CountedAt) > Lifetime)
        {
            return false;
        }

        size = entry.Size;
        return true;
    }

    public void Set(string tenant, long size)
    {
        if (_sizes.Count >= MaxTenants)
        {
            _sizes.Clear();
        }

        _sizes[tenant] = (size, _clock.GetTimestamp());
    }

    /// <summary>Called after every write to the tenant, so that this store never ranks with a size it has changed.</summary>
    public void Forget(string tenant) => _sizes.TryRemove(tenant, out _);
}
