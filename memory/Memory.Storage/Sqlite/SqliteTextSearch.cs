using Memory.Conversations.Model;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>
/// Text search over FTS5 that stays fast when query words are common. FTS5 computes bm25() for every row a
/// query matches (about 2 µs each), so an OR of words found in most memories costs far more than the 10 ms
/// budget. The plan therefore looks at each word's document frequency first (counted with a cap, which is
/// cheap) and then:
/// <list type="bullet">
/// <item>when some words are rare, ranks by those words alone, all their matches (common words carry
/// little IDF weight in BM25, so this changes little but the cost);</item>
/// <item>when every word is common, ranks the newest matches only, page by page until enough of them
/// belong to the tenant and scope or a scan budget is spent.</item>
/// </list>
/// Each term is letters and digits only, quoted as an FTS5 string, so no operator, column filter or syntax
/// error can come from the user's text. bm25() is lower-is-better; scores are its negation.
/// </summary>
internal static class SqliteTextSearch
{
    /// <summary>A word matching at most this many memories counts as rare.</summary>
    private const int RareDocumentFrequency = 1_000;

    /// <summary>Most matches the rare-word plan ranks in one query.</summary>
    private const int RareBudget = 2_500;

    /// <summary>Matches ranked per page when all words are common.</summary>
    private const int CommonPage = 1_000;

    /// <summary>Most matches looked at in all pages of the common-word plan.</summary>
    private const int CommonBudget = 8_000;

    public static async Task<List<(long Row, double Score)>> FindAsync(
        SqliteConnection connection, VectorIndex index, string tenant, MemoryScope scope, IReadOnlyList<string> terms, MetadataFilter filter,
        int limit, CancellationToken cancellationToken)
    {
        var frequencies = new List<(string Term, int Frequency)>(terms.Count);
        foreach (var term in terms)
        {
            var frequency = await CappedFrequencyAsync(connection, term, cancellationToken);
            if (frequency > 0)
            {
                frequencies.Add((term, frequency));
            }
        }

        if (frequencies.Count == 0)
        {
            return [];
        }

        var rare = new List<string>();
        var budget = 0;
        foreach (var (term, frequency) in frequencies.Where(f => f.Frequency <= RareDocumentFrequency).OrderBy(f => f.Frequency))
        {
            if (rare.Count > 0 && budget + frequency > RareBudget)
            {
                break;
            }

            rare.Add(term);
            budget += frequency;
        }

        var found = new List<(long Row, double Score)>();
        if (rare.Count > 0)
        {
            await CollectAsync(connection, index, tenant, scope, filter, Match(rare), before: null, pageSize: -1, found, cancellationToken);
        }
        else
        {
            var match = Match(frequencies.Select(f => f.Term));
            long? before = null;
            for (var scanned = 0; scanned < CommonBudget && found.Count < limit; scanned += CommonPage)
            {
                var (seen, lowest) = await CollectAsync(connection, index, tenant, scope, filter, match, before, CommonPage, found, cancellationToken);
                if (seen < CommonPage)
                {
                    break;
                }

                before = lowest;
            }
        }

        found.Sort((a, b) => b.Score.CompareTo(a.Score));
        return found.Count > limit ? found.GetRange(0, limit) : found;
    }

    private static string Match(IEnumerable<string> terms) => string.Join(" OR ", terms.Select(term => "\"" + term + "\""));

    private static async Task<int> CappedFrequencyAsync(SqliteConnection connection, string term, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH $term LIMIT $cap)";
        command.Parameters.AddWithValue("$term", "\"" + term + "\"");
        command.Parameters.AddWithValue("$cap", RareDocumentFrequency + 1);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Ranks one page of matches (newest first) and keeps those of the tenant and scope that pass the filter.</summary>
    /// <returns>How many matches the page held, and the lowest row among them (where the next page starts).</returns>
    /// <remarks>
    /// Without a metadata filter the tenant and scope are checked against the in-memory vector index, which holds
    /// every valid memory's row and scope ids: reading each match's row from the file cost more than ranking it.
    /// The caller re-checks the rows it finally reads, so the file stays the truth.
    /// </remarks>
    private static async Task<(int Seen, long Lowest)> CollectAsync(
        SqliteConnection connection, VectorIndex index, string tenant, MemoryScope scope, MetadataFilter filter, string match, long? before,
        int pageSize, List<(long Row, double Score)> found, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var page = $"""
            SELECT rowid, bm25(memories_fts) AS rank FROM memories_fts
            WHERE memories_fts MATCH $match {(before is null ? string.Empty : "AND rowid < $before")}
            ORDER BY rowid DESC LIMIT $page
            """;
        if (filter.IsEmpty)
        {
            command.CommandText = page;
        }
        else
        {
            var conditions = SqliteConditions.TenantAndScope(command, tenant, scope) + SqliteConditions.MetadataPrefilter(command, filter);
            command.CommandText = $"""
                SELECT hits.rowid, hits.rank, m.seq IS NOT NULL, m.metadata
                FROM ({page}) AS hits
                LEFT JOIN memories m ON m.seq = hits.rowid AND {conditions} AND m.invalid_at IS NULL
                """;
        }

        command.Parameters.AddWithValue("$match", match);
        command.Parameters.AddWithValue("$page", pageSize);
        if (before is { } row)
        {
            command.Parameters.AddWithValue("$before", row);
        }

        var seen = 0;
        var lowest = long.MaxValue;
        var matches = new List<(long Row, double Score)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                seen++;
                var hit = reader.GetInt64(0);
                lowest = Math.Min(lowest, hit);
                if (!filter.IsEmpty && (!reader.GetBoolean(2) || !filter.Matches(MetadataJson.Deserialize(reader.GetString(3)))))
                {
                    continue;
                }

                matches.Add((hit, -reader.GetDouble(1)));
            }
        }

        if (filter.IsEmpty && matches.Count > 0)
        {
            var rows = new long[matches.Count];
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = matches[i].Row;
            }

            var inScope = new bool[rows.Length];
            index.SelectInScope(tenant, scope, rows, inScope);
            for (var i = 0; i < rows.Length; i++)
            {
                if (inScope[i])
                {
                    found.Add(matches[i]);
                }
            }
        }
        else
        {
            found.AddRange(matches);
        }

        return (seen, lowest);
    }
}
