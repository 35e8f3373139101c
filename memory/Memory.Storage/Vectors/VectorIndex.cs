using System.Collections.Concurrent;
using Memory.Conversations.Model;

namespace Memory.Storage.Vectors;

/// <summary>The embedded store's vector indexes, one per tenant, so no scan ever passes over another tenant's rows.</summary>
internal sealed class VectorIndex(int dimensions) : IDisposable
{
    private readonly ConcurrentDictionary<string, TenantVectorIndex> _tenants = new(StringComparer.Ordinal);

    public void Upsert(string tenant, long row, MemoryScope scope, ReadOnlySpan<float> embedding) =>
        _tenants.GetOrAdd(tenant, _ => new TenantVectorIndex(dimensions)).Upsert(row, scope, embedding);

    public void Remove(string tenant, long row)
    {
        if (_tenants.TryGetValue(tenant, out var index))
        {
            index.Remove(row);
        }
    }

    /// <summary>Forgets a tenant; its index is left to the collector, since a search may still be reading it.</summary>
    public void RemoveTenant(string tenant) => _tenants.TryRemove(tenant, out _);

    public IReadOnlyList<(long Row, float Score)> Search(string tenant, MemoryScope scope, ReadOnlySpan<float> query, int count) =>
        _tenants.TryGetValue(tenant, out var index) ? index.Search(scope, query, count) : [];

    public int Count(string tenant) => _tenants.TryGetValue(tenant, out var index) ? index.Count : 0;

    public void Dispose()
    {
        foreach (var index in _tenants.Values)
        {
            index.Dispose();
        }

        _tenants.Clear();
    }
}
