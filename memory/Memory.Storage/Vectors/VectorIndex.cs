using Memory.Conversations.Model;

namespace Memory.Storage.Vectors;

/// <summary>The embedded store's vector indexes, one per tenant, so no scan ever passes over another tenant's rows.</summary>
internal sealed class VectorIndex(int dimensions) : IDisposable
{
    private readonly TenantIndexes<TenantVectorIndex> _tenants = new(() => new TenantVectorIndex(dimensions));

    public void Upsert(string tenant, long row, MemoryScope scope, ReadOnlySpan<float> embedding) => _tenants.For(tenant).Upsert(row, scope, embedding);

    public void Remove(string tenant, long row) => _tenants.Remove(tenant, row);

    /// <summary>Forgets a tenant; its index is left to the collector, since a search may still be reading it.</summary>
    public void RemoveTenant(string tenant) => _tenants.RemoveTenant(tenant);

    public IReadOnlyList<(long Row, float Score)> Search(string tenant, MemoryScope scope, ReadOnlySpan<float> query, int count) =>
        _tenants.Find(tenant)?.Search(scope, query, count) ?? [];

    public int Count(string tenant) => _tenants.Find(tenant)?.Count ?? 0;

    public void Dispose() => _tenants.Dispose();
}
