namespace Memory.Storage;

/// <summary>Where memories are kept (configuration section "Storage").</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>PostgreSQL (with pgvector 0.8+) connection string; when null or empty the embedded SQLite file is used.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>The embedded store's file (created when missing).</summary>
    public string SqlitePath { get; set; } = "memory.db";

    /// <summary>
    /// Length of every stored embedding. When the "Storage" section leaves it out, "Embeddings:Dimensions" is used,
    /// so the store and the embedder agree by default.
    /// </summary>
    public int EmbeddingDimensions { get; set; } = 384;

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    /// <summary>pgvector's HNSW indexes vectors of at most 2,000 dimensions.</summary>
    public const int MaxEmbeddingDimensions = 2_000;

    public IEnumerable<string> Validate()
    {
        if (EmbeddingDimensions < 1 || EmbeddingDimensions > MaxEmbeddingDimensions)
        {
            yield return $"Storage:EmbeddingDimensions must be between 1 and {MaxEmbeddingDimensions} (got {EmbeddingDimensions}).";
        }

        if (!UsesPostgres && string.IsNullOrWhiteSpace(SqlitePath))
        {
            yield return "Storage:SqlitePath must name a file when Storage:PostgresConnectionString is empty.";
        }
    }
}
