using Memory.Conversations.Model;
using Npgsql;
using NpgsqlTypes;

namespace Memory.Storage.Postgres;

/// <summary>
/// Text search over the GIN-indexed tsvector that stays fast when query words are common: ranking every
/// row an OR of common words matches means fetching most of a large scope from the heap. Each word's
/// document frequency within the tenant, scope and filters is counted first, with a cap (cheap either way:
/// rare words come from the GIN index, common words fill the cap at once). Then:
/// <list type="bullet">
/// <item>when some words are rare, all rows matching those words are ranked (common words carry little
/// weight in a frequency-aware rank, and would only add cost);</item>
/// <item>when every word is common, the newest matching rows are ranked.</item>
/// </list>
/// Terms are letters and digits only, so joining them with | cannot form any other tsquery syntax.
/// The candidates are ranked BM25-style (Postgres' ts_rank has no inverse document frequency, and on LoCoMo it
/// ranked far below SQLite's bm25): every query word that a memory contains adds its IDF, from the capped
/// counts above and the capped size of the scope, and the sum is damped by the memory's length against the
/// candidates' mean length (k1 = 1.2, b = 0.75, term frequency taken as 1: memories are short).
/// </summary>
internal static class PostgresTextSearch
{
    private const int RareDocumentFrequency = 300;
    private const int RareBudget = 1_500;
    private const int RecentCandidates = 1_000;
    private const int ScopeSizeCap = 10_000;
    private const double K1 = 1.2;
    private const double B = 0.75;

    public static async Task<IReadOnlyList<ScoredMemory>> SearchAsync(
        NpgsqlDataSource dataSource, ScopeSizeCache scopeSizes, string tenant, MemoryScope scope, IReadOnlyList<string> terms,
        MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One statement per word, so each is planned with its word: a GIN lookup for a rare word, an early-stopping
        // scan of the scope for a common one. The scope's size is counted too unless it was counted just before.
        var frequencies = new List<(string Term, long Frequency)>();
        var sizeKnown = scopeSizes.TryGet(tenant, scope, filter, out var scopeSize);
        await using (var count = new NpgsqlBatch(connection))
        {
            if (!sizeKnown)
            {
                var size = new NpgsqlBatchCommand();
                size.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM memories WHERE {Conditions(size.Parameters, tenant, scope, filter)} LIMIT @cap) AS scoped";
                size.Parameters.AddWithValue("cap", NpgsqlDbType.Integer, ScopeSizeCap);
                count.BatchCommands.Add(size);
            }

            foreach (var term in terms)
            {
                var command = new NpgsqlBatchCommand();
                var where = Conditions(command.Parameters, tenant, scope, filter);
                command.CommandText = $"""
                    SELECT count(*) FROM (
                        SELECT 1 FROM memories
                        WHERE {where} AND text_search @@ to_tsquery('english'::regconfig, @term)
                        LIMIT @cap) AS matches
                    """;
                command.Parameters.AddWithValue("term", NpgsqlDbType.Text, term);
                command.Parameters.AddWithValue("cap", NpgsqlDbType.Integer, RareDocumentFrequency + 1);
                count.BatchCommands.Add(command);
            }

            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            if (!sizeKnown)
            {
                await reader.ReadAsync(cancellationToken);
                scopeSize = reader.GetInt64(0);
                scopeSizes.Set(tenant, scope, filter, scopeSize);
                await reader.NextResultAsync(cancellationToken);
            }

            foreach (var term in terms)
            {
                await reader.ReadAsync(cancellationToken);
                var frequency = reader.GetInt64(0);
                if (frequency > 0)
                {
                    frequencies.Add((term, frequency));
                }

                await reader.NextResultAsync(cancellationToken);
            }
        }

        if (frequencies.Count == 0)
        {
            return [];
        }

        var rare = new List<string>();
        long budget = 0;
        foreach (var (term, frequency) in frequencies.Where(f => f.Frequency <= RareDocumentFrequency).OrderBy(f => f.Frequency))
        {
            if (rare.Count > 0 && budget + frequency > RareBudget)
            {
                break;
            }

            rare.Add(term);
            budget += frequency;
        }

        // Candidates carry only what ranking needs; each query word is parsed once (terms), not once per candidate;
        // only the best rows are read whole, by primary key.
        await using var search = new NpgsqlCommand { Connection = connection };
        var conditions = Conditions(search.Parameters, tenant, scope, filter);
        var recent = rare.Count > 0 ? string.Empty : "ORDER BY created_at DESC LIMIT @recent";
        search.CommandText = $"""
            WITH terms AS MATERIALIZED (
                SELECT to_tsquery('english'::regconfig, t.term) AS query, t.idf FROM unnest(@terms, @idfs) AS t(term, idf)
            ), candidates AS MATERIALIZED (
                SELECT tenant, id, created_at, text_search, length(text_search) AS lexemes
                FROM memories, to_tsquery('english'::regconfig, @query) AS query
                WHERE {conditions} AND text_search @@ query
                {recent}
            ), mean AS (
                SELECT greatest(avg(lexemes), 1) AS lexemes FROM candidates
            ), ranked AS (
                SELECT c.tenant, c.id, c.created_at, (
                    SELECT coalesce(sum(t.idf), 0) FROM terms AS t WHERE c.text_search @@ t.query
                ) * @k1plus1 / (1 + @k1 * (1 - @b + @b * c.lexemes / mean.lexemes)) AS rank
                FROM candidates AS c, mean
                ORDER BY rank DESC, c.created_at DESC
                LIMIT @limit
            )
            SELECT {PostgresRecords.ColumnsOf("m")}, r.rank::real
            FROM ranked AS r JOIN memories AS m ON m.tenant = r.tenant AND m.id = r.id
            ORDER BY r.rank DESC, r.created_at DESC
            """;
        search.Parameters.AddWithValue("query", NpgsqlDbType.Text, string.Join(" | ", rare.Count > 0 ? rare : frequencies.Select(f => f.Term)));
        search.Parameters.AddWithValue("terms", NpgsqlDbType.Array | NpgsqlDbType.Text, frequencies.Select(f => f.Term).ToArray());
        search.Parameters.AddWithValue("idfs", NpgsqlDbType.Array | NpgsqlDbType.Double, frequencies.Select(f => InverseDocumentFrequency(f.Frequency, scopeSize)).ToArray());
        search.Parameters.AddWithValue("k1plus1", NpgsqlDbType.Double, K1 + 1);
        search.Parameters.AddWithValue("k1", NpgsqlDbType.Double, K1);
        search.Parameters.AddWithValue("b", NpgsqlDbType.Double, B);
        search.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
        if (rare.Count == 0)
        {
            search.Parameters.AddWithValue("recent", NpgsqlDbType.Integer, RecentCandidates);
        }

        var results = new List<ScoredMemory>(limit);
        await using (var reader = await search.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                results.Add(new ScoredMemory(PostgresRecords.Read(reader), reader.GetFloat(PostgresRecords.ColumnCount)));
            }
        }

        return results;
    }

    /// <summary>BM25's IDF; both counts are capped, which only flattens the weights of words too common to matter.</summary>
    private static double InverseDocumentFrequency(long frequency, long scopeSize)
    {
        var documents = Math.Max(scopeSize, frequency);
        return Math.Log(1 + ((documents - frequency + 0.5) / (frequency + 0.5)));
    }

    private static string Conditions(NpgsqlParameterCollection parameters, string tenant, MemoryScope scope, MetadataFilter filter) =>
        PostgresConditions.TenantAndScope(parameters, tenant, scope) + PostgresConditions.Metadata(parameters, filter) + " AND invalid_at IS NULL";
}
