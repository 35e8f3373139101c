namespace Memory.Storage.Postgres;

/// <summary>One index on memories that a search path reads (HNSW, IVFFlat or GIN), as the catalogue reports it.</summary>
internal sealed record PostgresSearchIndex(string Name, string Method, string Definition, long Bytes, bool IsValid, IReadOnlyList<string> Options);
