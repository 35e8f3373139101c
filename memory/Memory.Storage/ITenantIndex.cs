namespace Memory.Storage;

/// <summary>One tenant's in-process index (vectors or text) as <see cref="TenantIndexes{TIndex}"/> manages it.</summary>
internal interface ITenantIndex : IDisposable
{
    /// <summary>Drops the row if the index holds it.</summary>
    void Remove(long row);
}
