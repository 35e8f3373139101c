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

    /// <summary>
    /// Where the PostgreSQL store searches: "InProcess" (the default) or "Database" (see <see cref="Storage.PostgresSearchMode"/>).
    /// A string, so that an unknown value is reported by validation with the setting's name instead of by the binder.
    /// </summary>
    public string PostgresSearch { get; set; } = nameof(Storage.PostgresSearchMode.InProcess);

    /// <summary>The HNSW and GIN indexes of the "Database" search (section "Storage:PostgresIndexes").</summary>
    public PostgresIndexOptions PostgresIndexes { get; set; } = new();

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    /// <summary><see cref="PostgresSearch"/> parsed; only valid options (see <see cref="Validate"/>) have one.</summary>
    public PostgresSearchMode PostgresSearchMode => TryParseSearchMode(PostgresSearch, out var mode)
        ? mode
        : throw new InvalidOperationException(UnknownSearchMode(PostgresSearch));

    /// <summary>A mode's name, in any letter case; numbers are refused (Enum.TryParse would take "7").</summary>
    public static bool TryParseSearchMode(string? text, out PostgresSearchMode mode)
    {
        mode = default;
        return !string.IsNullOrWhiteSpace(text)
            && Enum.GetNames<PostgresSearchMode>().Any(name => string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
            && Enum.TryParse(text.Trim(), ignoreCase: true, out mode);
    }

    /// <summary>pgvector's HNSW indexes vectors of at most 2,000 dimensions.</summary>
    public const int MaxEmbeddingDimensions = 2_000;

    public IEnumerable<string> Validate()
    {
        if (EmbeddingDimensions < 1 || EmbeddingDimensions > MaxEmbeddingDimensions)
        {
            yield return $"Storage:EmbeddingDimensions must be between 1 and {MaxEmbeddingDimensions} (got {EmbeddingDimensions}).";
        }

        if (!TryParseSearchMode(PostgresSearch, out _))
        {
            yield return UnknownSearchMode(PostgresSearch);
        }

        if (PostgresIndexes is null)
        {
            yield return $"{SectionName}:{PostgresIndexOptions.SectionName} must not be empty.";
        }
        else
        {
            foreach (var failure in PostgresIndexes.Validate($"{SectionName}:{PostgresIndexOptions.SectionName}"))
            {
                yield return failure;
            }
        }

        if (!UsesPostgres && string.IsNullOrWhiteSpace(SqlitePath))
        {
            yield return "Storage:SqlitePath must name a file when Storage:PostgresConnectionString is empty.";
        }
    }

    private static string UnknownSearchMode(string? text) =>
        $"{SectionName}:PostgresSearch must be one of {string.Join(", ", Enum.GetNames<PostgresSearchMode>())} (got '{text}').";
}
