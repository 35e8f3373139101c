using Memory.Conversations.Model;

namespace Memory.Storage.Text;

/// <summary>
/// The in-process text indexes, one per tenant: no search passes over another tenant's postings, and BM25's
/// statistics (document count, lengths, document frequencies) are each tenant's own, so one tenant's memories never
/// shift another's scores.
/// </summary>
internal sealed class TextIndex : IDisposable
{
    private readonly TenantIndexes<TenantTextIndex> _tenants = new(() => new TenantTextIndex());

    public void Upsert(string tenant, long row, MemoryScope scope, IndexedText text) => _tenants.For(tenant).Upsert(row, scope, text);

    public void Remove(string tenant, long row) => _tenants.Remove(tenant, row);

    /// <summary>Forgets a tenant; its index is left to the collector, since a search may still be reading it.</summary>
    public void RemoveTenant(string tenant) => _tenants.RemoveTenant(tenant);

    /// <summary>The best rows of the scope for the query terms (<see cref="IndexedText.QueryTerms"/>), best first.</summary>
    public List<(long Row, double Score)> Search(string tenant, MemoryScope scope, IReadOnlyList<string> terms, int count) =>
        _tenants.Find(tenant)?.Search(scope, terms, count) ?? [];

    public void Dispose() => _tenants.Dispose();
}
