using System.Collections.Concurrent;
using System.Text;
using Memory.Conversations.Model;

namespace Memory.Storage.Postgres;

/// <summary>
/// Recently counted scope sizes, the N of the text rank's IDF. Counting reads up to
/// <see cref="PostgresTextSearch"/>'s cap of rows from the heap (about 16 ms for a scope of 10,000 memories on the
/// dev VM), which was most of a text search; a run of searches in one scope now counts once. An entry lives for
/// <see cref="Lifetime"/> and is dropped as soon as this store writes to the tenant, so one server ranks exactly
/// as if it counted every time; writes by other servers are seen within the lifetime (N only weighs words
/// against each other, and is capped anyway).
/// </summary>
internal sealed class ScopeSizeCache
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private const int MaxScopesPerTenant = 1_024;
    private const int MaxTenants = 4_096;

    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, (long Size, long CountedAt)>> _tenants = new(StringComparer.Ordinal);

    public ScopeSizeCache(TimeProvider clock) => _clock = clock;

    public bool TryGet(string tenant, MemoryScope scope, MetadataFilter filter, out long size)
    {
        size = 0;
        if (!_tenants.TryGetValue(tenant, out var scopes) || !scopes.TryGetValue(Key(scope, filter), out var entry))
        {
            return false;
        }

        if (_clock.GetElapsedTime(entry.CountedAt) > Lifetime)
        {
            return false;
        }

        size = entry.Size;
        return true;
    }

    public void Set(string tenant, MemoryScope scope, MetadataFilter filter, long size)
    {
        if (_tenants.Count >= MaxTenants)
        {
            _tenants.Clear();
        }

        var scopes = _tenants.GetOrAdd(tenant, _ => new ConcurrentDictionary<string, (long, long)>(StringComparer.Ordinal));
        if (scopes.Count >= MaxScopesPerTenant)
        {
            scopes.Clear();
        }

        scopes[Key(scope, filter)] = (size, _clock.GetTimestamp());
    }

    /// <summary>Called after every write to the tenant, so that this store never ranks with a size it has changed.</summary>
    public void Forget(string tenant) => _tenants.TryRemove(tenant, out _);

    private static string Key(MemoryScope scope, MetadataFilter filter)
    {
        var key = new StringBuilder();
        foreach (var id in new[] { scope.UserId, scope.AgentId, scope.RunId })
        {
            // Length-prefixed, so no id can run into the next one.
            key.Append(id is null ? "-" : $"{id.Length}:{id}").Append('|');
        }

        foreach (var (name, value) in filter.Conditions.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var raw = value.GetRawText();
            key.Append(name.Length).Append(':').Append(name).Append('=').Append(raw.Length).Append(':').Append(raw).Append('|');
        }

        return key.ToString();
    }
}
