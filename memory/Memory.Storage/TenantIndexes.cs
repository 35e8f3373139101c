using System.Collections.Concurrent;

namespace Memory.Storage;

/// <summary>
/// One index per tenant, created on a tenant's first row, so no search ever passes over another tenant's rows; the
/// vector and text indexes (<see cref="Vectors.VectorIndex"/>, <see cref="Text.TextIndex"/>) each keep their tenants here.
/// </summary>
internal sealed class TenantIndexes<TIndex>(Func<TIndex> create) : IDisposable
    where TIndex : class, ITenantIndex
{
    private readonly ConcurrentDictionary<string, TIndex> _tenants = new(StringComparer.Ordinal);

    /// <summary>The tenant's index, created if it has none yet.</summary>
    public TIndex For(string tenant) => _tenants.GetOrAdd(tenant, _ => create());

    /// <summary>The tenant's index, or null if it has none.</summary>
    public TIndex? Find(string tenant) => _tenants.TryGetValue(tenant, out var index) ? index : null;

    public void Remove(string tenant, long row) => Find(tenant)?.Remove(row);

    /// <summary>Forgets a tenant; its index is left to the collector, since a search may still be reading it.</summary>
    public void RemoveTenant(string tenant) => _tenants.TryRemove(tenant, out _);

    public void Dispose()
    {
        foreach (var index in _tenants.Values)
        {
            index.Dispose();
        }

        _tenants.Clear();
    }
}
