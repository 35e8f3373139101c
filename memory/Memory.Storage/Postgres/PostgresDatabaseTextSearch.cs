using System.Text;
using Memory.Conversations.Model;
using Npgsql;
using NpgsqlTypes;

namespace Memory.Storage.Postgres;

/// <summary>
/// BM25 text search inside PostgreSQL through the GIN index over to_tsvector(config, text)
/// (<see cref="PostgresSearchIndexes.TextIndex"/>), with the in-process index's formula (FTS5's bm25: k1 = 1.2,
/// b = 0.75, IDF floored at 1e-6, IDF over the tenant's valid memories) so the fusion above weighs both modes alike.
/// <para>
/// What the database cannot do cheaply is what the in-process postings make free: the GIN index knows neither tenant
/// nor scope, so every match it yields costs a heap visit, and ranking needs each row's tsvector again (~10 µs each).
/// Ranking all matches of common words cost 440 ms at 100K memories. So the work is bounded:
/// </para>
/// <list type="number">
/// <item>Each word's document frequency in the tenant is counted up to <see cref="FrequencyCap"/>, and the tenant's size
/// up to <see cref="TenantSizeCap"/> (cached, <see cref="TenantSizeCache"/>): exact for small tenants, and for large ones
/// common words simply weigh alike.</item>
/// <item>When every word is rarer than the cap and their matches add up to at most <see cref="RankBudget"/>, all matches
/// in the scope are ranked: the exact BM25 order.</item>
/// <item>Otherwise the candidates are the rows matching at least m of the <see cref="TierWords"/> rarest words (a "tier",
/// found by the index alone: GIN evaluates the OR of ANDs before any row is read), with m chosen so that the tier holds
/// at least the limit and at most <see cref="RankBudget"/> rows; matches of rare words join every tier. A row with fewer
/// of the words but rarer ones can be missed here.</item>
/// </list>
/// Words reach SQL only as parameters or as letters, digits and marks (<see cref="TextQueryTerms"/>), joined by the
/// store with tsquery's &amp; and |, so no other tsquery syntax can form.
/// </summary>
internal sealed class PostgresDatabaseTextSearch
{
    /// <summary>Document frequencies are counted up to this (each count reads up to this many rows).</summary>
    public const int FrequencyCap = 400;

    /// <summary>The tenant's size is counted up to this.</summary>
    public const int TenantSizeCap = 10_000;

    /// <summary>Most rows one ranking statement reads and ranks.</summary>
    public const int RankBudget = 800;

    /// <summary>The rarest words that choose the tiers (a tier of m of n words is n-choose-m conjunctions).</summary>
    public const int TierWords = 6;

    private const double K1 = 1.2;
    private const double B = 0.75;
    private const double MinIdf = 1e-6;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TenantSizeCache _sizes;
    private readonly string _config;
    private readonly string _textVector;

    public PostgresDatabaseTextSearch(NpgsqlDataSource dataSource, TenantSizeCache sizes, string config)
    {
        _dataSource = dataSource;
        _sizes = sizes;
        _config = config;
        _textVector = PostgresSearchIndexes.TextVector(config);
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchAsync(
        string tenant, MemoryScope scope, IReadOnlyList<string> words, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        var (frequencies, size) = await CountAsync(tenant, words, cancellationToken);
        var present = words
            .Select((word, order) => (Word: word, Frequency: frequencies[order], Order: order))
            .Where(word => word.Frequency > 0)
            .OrderBy(word => word.Frequency)
            .ThenBy(word => word.Order)
            .ToList();
        if (present.Count == 0)
        {
            return [];
        }

        var documents = Math.Max(size, present[^1].Frequency);
        var idfs = present.Select(word => Math.Max(MinIdf, Math.Log((documents - word.Frequency + 0.5) / (word.Frequency + 0.5)))).ToArray();
        var ranked = present.Select(word => word.Word).ToArray();

        if (present.All(word => word.Frequency < FrequencyCap) && present.Sum(word => word.Frequency) <= RankBudget)
        {
            return (await RankAsync(tenant, scope, filter, limit, AnyOf(ranked), ranked, idfs, cancellationToken)).Results;
        }

        var tierWords = ranked.Take(TierWords).ToArray();
        var rare = new List<string>();
        long rareMatches = 0;
        foreach (var word in present.TakeWhile(word => word.Frequency < FrequencyCap))
        {
            if (rareMatches + word.Frequency > RankBudget / 4)
            {
                break;
            }

            rare.Add(word.Word);
            rareMatches += word.Frequency;
        }

        // Start in the middle tier and move: up while a tier overflows the budget (its rows were cut in no order, so
        // its best could be among those cut), down while a tier holds fewer rows than the limit. Usually one or two
        // statements; every one is an index scan plus the ranking of at most the budget.
        var rareQuery = rare.Count > 0 ? " | " + AnyOf(rare) : string.Empty;
        var required = Math.Max(1, (tierWords.Length + 1) / 2);
        IReadOnlyList<ScoredMemory>? complete = null;
        IReadOnlyList<ScoredMemory>? overflowing = null;
        while (true)
        {
            var (results, candidates) = await RankAsync(
                tenant, scope, filter, limit, AtLeast(tierWords, required) + rareQuery, ranked, idfs, cancellationToken);
            if (candidates >= RankBudget)
            {
                overflowing = results;
                if (complete is not null || required == tierWords.Length)
                {
                    break;
                }

                required++;
            }
            else if (candidates < limit)
            {
                complete = results;
                if (overflowing is not null || required == 1)
                {
                    break;
                }

                required--;
            }
            else
            {
                return results;
            }
        }

        // A tier too small next to one too large: all of the small one (it holds the rows with the most words), then the
        // best of what the large one ranked.
        var merged = (complete ?? []).ToList();
        var taken = merged.Select(result => result.Memory.Id).ToHashSet(StringComparer.Ordinal);
        merged.AddRange((overflowing ?? []).Where(result => !taken.Contains(result.Memory.Id)).Take(limit - merged.Count));
        return merged;
    }

    /// <summary>The statement that ranks the rows of one tsquery (internal so a test can check its plan uses the GIN index).</summary>
    internal NpgsqlCommand RankCommand(
        NpgsqlConnection connection, string tenant, MemoryScope scope, MetadataFilter filter, int limit, string query,
        IReadOnlyList<string> words, IReadOnlyList<double> idfs)
    {
        var command = new NpgsqlCommand { Connection = connection };
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter);

        // One unnest of each candidate's tsvector joined to the query's lexemes (a word that stems like another counts
        // twice, as in the in-process index); length in characters against the candidates' mean, since BM25 needs only
        // the ratio and this needs no second pass over the tsvector.
        command.CommandText = $"""
            WITH words AS MATERIALIZED (
                SELECT l.lexeme, w.idf
                FROM unnest(@words, @idfs) AS w(word, idf), unnest(tsvector_to_array(to_tsvector('{_config}'::regconfig, w.word))) AS l(lexeme)
            ), candidates AS MATERIALIZED (
                SELECT seq, length(text) AS chars, {_textVector} AS document
                FROM memories
                WHERE {where} AND invalid_at IS NULL AND {_textVector} @@ to_tsquery('{_config}'::regconfig, @query)
                LIMIT @budget
            ), mean AS (
                SELECT greatest(avg(chars), 1) AS chars, count(*) AS candidates FROM candidates
            ), ranked AS (
                SELECT c.seq, sum(w.idf * f.tf * @k1plus1 / (f.tf + @k1 * (1 - @b + @b * c.chars / mean.chars))) AS score
                FROM candidates AS c
                CROSS JOIN mean
                CROSS JOIN LATERAL (
                    SELECT u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf FROM unnest(c.document) AS u(lexeme, positions, weights)
                ) AS f
                JOIN words AS w ON w.lexeme = f.lexeme
                GROUP BY c.seq, c.chars, mean.chars
                ORDER BY score DESC, c.seq DESC
                LIMIT @limit
            )
            SELECT {PostgresRecords.ColumnsOf("m")}, r.score, (SELECT candidates FROM mean)
            FROM ranked AS r JOIN memories AS m ON m.seq = r.seq AND m.tenant = @tenant
            ORDER BY r.score DESC, r.seq DESC
            """;
        command.Parameters.AddWithValue("words", NpgsqlDbType.Array | NpgsqlDbType.Text, words.ToArray());
        command.Parameters.AddWithValue("idfs", NpgsqlDbType.Array | NpgsqlDbType.Double, idfs.ToArray());
        command.Parameters.AddWithValue("query", NpgsqlDbType.Text, query);
        command.Parameters.AddWithValue("budget", NpgsqlDbType.Integer, RankBudget);
        command.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
        command.Parameters.AddWithValue("k1plus1", NpgsqlDbType.Double, K1 + 1);
        command.Parameters.AddWithValue("k1", NpgsqlDbType.Double, K1);
        command.Parameters.AddWithValue("b", NpgsqlDbType.Double, B);
        return command;
    }

    /// <summary>The statement that counts one word's matches in the tenant (internal so a test can check its plan).</summary>
    internal NpgsqlBatchCommand FrequencyCommand(string tenant, string word)
    {
        var command = new NpgsqlBatchCommand($"""
            SELECT count(*) FROM (
                SELECT 1 FROM memories
                WHERE tenant = @tenant AND invalid_at IS NULL AND {_textVector} @@ plainto_tsquery('{_config}'::regconfig, @word)
                LIMIT @cap) AS matches
            """);
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        command.Parameters.AddWithValue("word", NpgsqlDbType.Text, word);
        command.Parameters.AddWithValue("cap", NpgsqlDbType.Integer, FrequencyCap);
        return command;
    }

    private async Task<(long[] Frequencies, long Size)> CountAsync(string tenant, IReadOnlyList<string> words, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var sizeKnown = _sizes.TryGet(tenant, out var size);
        if (!sizeKnown)
        {
            var count = new NpgsqlBatchCommand(
                "SELECT count(*) FROM (SELECT 1 FROM memories WHERE tenant = @tenant AND invalid_at IS NULL LIMIT @cap) AS scoped");
            count.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
            count.Parameters.AddWithValue("cap", NpgsqlDbType.Integer, TenantSizeCap);
            batch.BatchCommands.Add(count);
        }

        // One statement per word, so each is planned with its word: a GIN lookup for a rare word, an early-stopping scan for
        // a common one.
        foreach (var word in words)
        {
            batch.BatchCommands.Add(FrequencyCommand(tenant, word));
        }

        var frequencies = new long[words.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!sizeKnown)
        {
            await reader.ReadAsync(cancellationToken);
            size = reader.GetInt64(0);
            _sizes.Set(tenant, size);
            await reader.NextResultAsync(cancellationToken);
        }

        for (var i = 0; i < words.Count; i++)
        {
            await reader.ReadAsync(cancellationToken);
            frequencies[i] = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
        }

        return (frequencies, size);
    }

    private async Task<(IReadOnlyList<ScoredMemory> Results, long Candidates)> RankAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, int limit, string query,
        IReadOnlyList<string> words, IReadOnlyList<double> idfs, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = RankCommand(connection, tenant, scope, filter, limit, query, words, idfs);
        var results = new List<ScoredMemory>(limit);
        long candidates = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(new ScoredMemory(PostgresRecords.Read(reader), reader.GetDouble(PostgresRecords.ColumnCount)));
            candidates = reader.GetInt64(PostgresRecords.ColumnCount + 1);
        }

        return (results, candidates);
    }

    private static string AnyOf(IEnumerable<string> words) => string.Join(" | ", words);

    /// <summary>The tsquery "at least <paramref name="required"/> of these words": an OR of every AND of that many.</summary>
    private static string AtLeast(string[] words, int required)
    {
        if (required <= 1)
        {
            return AnyOf(words);
        }

        var query = new StringBuilder();
        var chosen = new int[required];
        void Choose(int position, int from)
        {
            if (position == required)
            {
                query.Append(query.Length == 0 ? "(" : " | (").AppendJoin(" & ", chosen.Select(i => words[i])).Append(')');
                return;
            }

            for (var i = from; i <= words.Length - (required - position); i++)
            {
                chosen[position] = i;
                Choose(position + 1, i + 1);
            }
        }

        Choose(0, 0);
        return query.ToString();
    }
}
