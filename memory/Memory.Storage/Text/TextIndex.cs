using System.Collections.Concurrent;
using Memory.Conversations.Model;

namespace Memory.Storage.Text;

/// <summary>
/// The in-process text indexes, one per tenant: no search passes over another tenant's postings, and BM25's
/// statistics (document count, lengths, document frequencies) are each tenant's own, so one tenant's memories never
/// shift another's scores.
/// </summary>
internal sealed class TextIndex : IDisposable
{
    private readonly ConcurrentDictionary<string, TenantTextIndex> _tenants = new(StringComparer.Ordinal);

    public void Upsert(string tenant, long row, MemoryScope scope, IndexedText text) =>
        _tenants.GetOrAdd(tenant, _ => new TenantTextIndex()).Upsert(row, scope, text);

    public void Remove(string tenant, long row)
    {
        if (_tenants.TryGetValue(tenant, out var index))
        {
            index.Remove(row);
        }
    }

    /// <summary>Forgets a tenant; its index is left to the collector, since a search may still be reading it.</summary>
    public void RemoveTenant(string tenant) => _tenants.TryRemove(tenant, out _);

    /// <summary>The best rows of the scope for the query terms (<see cref="IndexedText.QueryTerms"/>), best first.</summary>
    public List<(long Row, double Score)> Search(string tenant, MemoryScope scope, IReadOnlyList<string> terms, int count) =>
        _tenants.TryGetValue(tenant, out var index) ? index.Search(scope, terms, count) : [];

    public void Dispose()
    {
        foreach (var index in _tenants.Values)
        {
            index.Dispose();
        }

        _tenants.Clear();
    }
}
