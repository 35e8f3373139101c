using System.Text.RegularExpressions;

namespace Memory.Storage;

/// <summary>
/// The database-side search indexes of <see cref="PostgresSearchMode.Database"/> (section "Storage:PostgresIndexes").
/// The defaults are pgvector's HNSW defaults and the text configuration the store has always used.
/// </summary>
public sealed partial class PostgresIndexOptions
{
    public const string SectionName = "PostgresIndexes";

    /// <summary>pgvector's limits for m.</summary>
    public const int MinHnswM = 2;

    public const int MaxHnswM = 100;

    /// <summary>pgvector's upper limit for ef_construction and ef_search.</summary>
    public const int MaxHnswEf = 1_000;

    /// <summary>Graph neighbours per node (HNSW "m"): higher finds more true neighbours and makes every insert slower.</summary>
    public int HnswM { get; set; } = 16;

    /// <summary>Candidate list while building (HNSW "ef_construction"); pgvector needs at least 2 × <see cref="HnswM"/>.</summary>
    public int HnswEfConstruction { get; set; } = 64;

    /// <summary>
    /// Candidate list while searching (pgvector's hnsw.ef_search), the floor for every search: a search for more
    /// candidates than this widens it to that number (up to 1,000), as a list shorter than the limit cannot fill it.
    /// </summary>
    public int HnswEfSearch { get; set; } = 40;

    /// <summary>
    /// The PostgreSQL text search configuration of the GIN index and of every text query (e.g. english, simple, german).
    /// It is written into the index expression, so it is a plain name; the store checks that the database has it.
    /// </summary>
    public string TextSearchConfig { get; set; } = "english";

    /// <summary>Every problem, each naming its setting under <paramref name="prefix"/> (e.g. "Storage:PostgresIndexes").</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (HnswM is < MinHnswM or > MaxHnswM)
        {
            yield return $"{prefix}:HnswM must be between {MinHnswM} and {MaxHnswM} (got {HnswM}).";
        }

        if (HnswEfConstruction < 2 * HnswM || HnswEfConstruction > MaxHnswEf)
        {
            yield return $"{prefix}:HnswEfConstruction must be between 2 × HnswM ({2 * HnswM}) and {MaxHnswEf} (got {HnswEfConstruction}).";
        }

        if (HnswEfSearch is < 1 or > MaxHnswEf)
        {
            yield return $"{prefix}:HnswEfSearch must be between 1 and {MaxHnswEf} (got {HnswEfSearch}).";
        }

        if (TextSearchConfig is null || !PlainName().IsMatch(TextSearchConfig))
        {
            yield return $"{prefix}:TextSearchConfig must be the plain name of a PostgreSQL text search configuration " +
                $"(lower-case letters, digits and underscores, e.g. english; got '{TextSearchConfig}').";
        }
    }

    /// <summary>What may go into SQL unquoted (it is part of the index expression, which cannot take a parameter).</summary>
    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();
}
