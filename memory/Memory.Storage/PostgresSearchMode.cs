namespace Memory.Storage;

/// <summary>Where the PostgreSQL store's vector and text searches run (setting "Storage:PostgresSearch").</summary>
public enum PostgresSearchMode
{
    /// <summary>
    /// In each server's memory (the embedded store's quantised vector index and BM25 postings, fed by the change log):
    /// fast writes and searches, but every server holds every tenant's vectors and postings in RAM.
    /// </summary>
    InProcess,

    /// <summary>
    /// In PostgreSQL: a pgvector HNSW index for vectors and a GIN index over a tsvector expression for text. Nothing is held
    /// per server, so it scales with the database instead of each server's RAM; every write pays the HNSW insert.
    /// </summary>
    Database,
}
