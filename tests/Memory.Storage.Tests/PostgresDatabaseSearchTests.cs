using Memory.Conversations.Model;
using Memory.Storage.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Memory.Storage.Tests;

/// <summary>
/// Storage:PostgresSearch=Database: its indexes exist and the search statements use them, a tenant's results and scores
/// never depend on another tenant's memories, and the InProcess mode reports such indexes instead of dropping them.
/// Each test has a schema of its own (the index checks look at the whole table).
/// </summary>
public sealed class PostgresDatabaseSearchTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly MemoryScope User = new("u", null, null);

    private static readonly string[] Subjects = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
    private static readonly string[] Verbs = ["bought", "painted", "visited", "cooked", "repaired", "borrowed", "sold", "found"];
    private static readonly string[] Objects = ["bicycle", "guitar", "garden", "kayak", "laptop", "piano", "violin", "camera"];
    private static readonly string[] Places = ["berlin", "lisbon", "kyoto", "toronto", "nairobi", "oslo", "lima", "perth"];

    [Fact]
    public async Task Database_mode_creates_its_hnsw_and_gin_indexes_once_and_a_second_server_finds_them()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var first = await OpenAsync(database, PostgresSearchMode.Database);
        await using var second = await OpenAsync(database, PostgresSearchMode.Database);

        var indexes = await PostgresSearchIndexes.FindAsync(first.DataSource, None);

        Assert.Equal(
            [(PostgresSearchIndexes.VectorIndex, "hnsw"), (PostgresSearchIndexes.TextIndex, "gin")],
            indexes.Select(index => (index.Name, index.Method)));
        Assert.All(indexes, index => Assert.True(index.IsValid));
        var vector = indexes.Single(index => index.Method == "hnsw");
        Assert.Contains("halfvec_cosine_ops", vector.Definition, StringComparison.Ordinal);
        Assert.Contains("m=16", vector.Options);
        Assert.Contains("ef_construction=64", vector.Options);
        Assert.Contains("to_tsvector('english'::regconfig, text)", indexes.Single(index => index.Method == "gin").Definition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configured_hnsw_parameters_and_text_configuration_shape_the_indexes()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var options = new PostgresIndexOptions { HnswM = 8, HnswEfConstruction = 32, HnswEfSearch = 100, TextSearchConfig = "simple" };
        await using var store = await OpenAsync(database, PostgresSearchMode.Database, options);
        var tenant = TestMemories.NewTenant();
        await store.AddAsync([TestMemories.Create(tenant, User, "the runners were running")], "api", None);

        var indexes = await PostgresSearchIndexes.FindAsync(store.DataSource, None);

        Assert.Contains("m=8", indexes.Single(index => index.Method == "hnsw").Options);
        Assert.Contains("ef_construction=32", indexes.Single(index => index.Method == "hnsw").Options);
        Assert.Contains("to_tsvector('simple'::regconfig, text)", indexes.Single(index => index.Method == "gin").Definition, StringComparison.Ordinal);
        // 'simple' neither stems nor drops stop words: "running" finds only itself, "the" is a word.
        Assert.Empty(await store.SearchByTextAsync(tenant, User, "run", MetadataFilter.None, 10, None));
        Assert.Single(await store.SearchByTextAsync(tenant, User, "running", MetadataFilter.None, 10, None));
    }

    [Fact]
    public async Task The_search_statements_use_the_hnsw_and_gin_indexes_on_a_large_table()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = await OpenAsync(database, PostgresSearchMode.Database);
        var tenant = TestMemories.NewTenant();
        await AddSentencesAsync(store, tenant, User, 3_000);
        await ExecuteAsync(store.DataSource, "ANALYZE memories");
        var search = store.DatabaseSearch!;
        var query = TestVectors.Random(7);

        var vectorPlan = await ExplainAsync(
            store.DataSource, search.SearchSettingsCommand(10), search.VectorSearchCommand(tenant, User, query, MetadataFilter.None, 10, exact: false));
        var frequencyPlan = await ExplainAsync(store.DataSource, null, search.Text.FrequencyCommand(tenant, "kayak"));
        string rankPlan;
        await using (var connection = await store.DataSource.OpenConnectionAsync(None))
        await using (var rank = search.Text.RankCommand(connection, tenant, User, MetadataFilter.None, 10, "kayak & berlin", ["kayak", "berlin"], [1.0, 1.0]))
        {
            rankPlan = await ExplainAsync(store.DataSource, null, ToBatchCommand(rank));
        }

        Assert.Contains(PostgresSearchIndexes.VectorIndex, vectorPlan, StringComparison.Ordinal);
        Assert.Contains(PostgresSearchIndexes.TextIndex, frequencyPlan, StringComparison.Ordinal);
        Assert.Contains(PostgresSearchIndexes.TextIndex, rankPlan, StringComparison.Ordinal);

        // And the searches themselves answer from them: the nearest of 3,000, and the memories with both words.
        var nearest = await store.SearchByVectorAsync(tenant, User, TestVectors.Random(1_000_042), MetadataFilter.None, 1, None);
        Assert.Equal(1.0, Assert.Single(nearest).Score, 3);
        var both = await store.SearchByTextAsync(tenant, User, "kayak berlin", MetadataFilter.None, 5, None);
        Assert.Equal(5, both.Count);
        Assert.All(both, found => Assert.True(found.Memory.Text.Contains("kayak", StringComparison.Ordinal) && found.Memory.Text.Contains("berlin", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Among_thousands_of_matches_the_memories_with_every_word_rank_first()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = await OpenAsync(database, PostgresSearchMode.Database);
        var tenant = TestMemories.NewTenant();
        await AddSentencesAsync(store, tenant, User, 2_000);
        var exact = TestMemories.Create(tenant, User, "grace repaired the violin in kyoto with a lute");
        await store.AddAsync([exact], "api", None);

        // Every word but "lute" is in hundreds of memories: the common-word tiers, not the exact path, answer this.
        var found = await store.SearchByTextAsync(tenant, User, "grace repaired violin kyoto lute", MetadataFilter.None, 10, None);

        Assert.Equal(exact.Id, found[0].Memory.Id);
        Assert.Equal(10, found.Count);
        Assert.True(found.Zip(found.Skip(1)).All(pair => pair.First.Score >= pair.Second.Score));
        Assert.All(found.Skip(1), other => Assert.True(other.Score < found[0].Score));
    }

    [Fact]
    public async Task Another_tenant_in_the_same_table_changes_neither_results_nor_scores()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = await OpenAsync(database, PostgresSearchMode.Database);
        var owner = TestMemories.NewTenant();
        var crowd = TestMemories.NewTenant();
        var query = TestVectors.Random(90);
        var mine = TestMemories.Create(owner, User, "a kayak trip on the lake", TestVectors.Near(query, 91, 0.6f));
        await store.AddAsync([mine, TestMemories.Create(owner, User, "a walk in the park", TestVectors.Random(92))], "api", None);
        var textBefore = Assert.Single(await store.SearchByTextAsync(owner, User, "kayak lake", MetadataFilter.None, 10, None));

        // The same scope ids, closer vectors and the same words in another tenant: the graph walk meets them first.
        var others = Enumerable.Range(0, 1_500)
            .Select(i => TestMemories.Create(crowd, User, $"kayak lake kayak {i}", TestVectors.Near(query, 1_000 + i, 0.05f)))
            .ToList();
        await store.AddAsync(others, "api", None);

        var byVector = await store.SearchByVectorAsync(owner, User, query, MetadataFilter.None, 10, None);
        var byText = await store.SearchByTextAsync(owner, User, "kayak lake", MetadataFilter.None, 10, None);

        Assert.Equal(2, byVector.Count);
        Assert.All(byVector, found => Assert.Equal(owner, found.Memory.Tenant));
        Assert.Equal(mine.Id, byVector[0].Memory.Id);
        var textAfter = Assert.Single(byText);
        Assert.Equal(mine.Id, textAfter.Memory.Id);
        Assert.Equal(textBefore.Score, textAfter.Score, 9);
        Assert.All(await store.SearchByTextAsync(crowd, User, "kayak lake", MetadataFilter.None, 100, None), found => Assert.Equal(crowd, found.Memory.Tenant));
    }

    [Fact]
    public async Task An_in_process_store_warns_about_database_indexes_and_keeps_them()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await (await OpenAsync(database, PostgresSearchMode.Database)).DisposeAsync();
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));

        await using var store = new PostgresMemoryStore(database.ConnectionString, TestVectors.Dimensions, loggerFactory, PostgresSearchMode.InProcess);
        await store.InitializeAsync(None);

        var warning = Assert.Single(logs.Entries, entry => entry.Level == LogLevel.Warning);
        var named = Assert.IsType<string>(warning.Properties["Indexes"]);
        Assert.Contains(PostgresSearchIndexes.VectorIndex, named, StringComparison.Ordinal);
        Assert.Contains(PostgresSearchIndexes.TextIndex, named, StringComparison.Ordinal);
        Assert.Equal(PostgresSearchMode.InProcess, warning.Properties["Mode"]);
        Assert.Contains("every write", warning.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await PostgresSearchIndexes.FindAsync(store.DataSource, None)).Count);

        // Without such indexes there is nothing to warn about.
        await using var clean = await PostgresTestDatabase.CreateAsync();
        using var quiet = new RecordingLoggerProvider();
        using var quietFactory = LoggerFactory.Create(builder => builder.AddProvider(quiet));
        await using var plain = new PostgresMemoryStore(clean.ConnectionString, TestVectors.Dimensions, quietFactory, PostgresSearchMode.InProcess);
        await plain.InitializeAsync(None);
        Assert.DoesNotContain(quiet.Entries, entry => entry.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Hnsw_parameters_unlike_the_existing_index_are_reported_and_the_index_is_used_as_it_is()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await (await OpenAsync(database, PostgresSearchMode.Database)).DisposeAsync();
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));

        await using var store = new PostgresMemoryStore(
            database.ConnectionString, TestVectors.Dimensions, loggerFactory, PostgresSearchMode.Database, new PostgresIndexOptions { HnswM = 24, HnswEfConstruction = 100 });
        await store.InitializeAsync(None);

        var warning = Assert.Single(logs.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Equal(PostgresSearchIndexes.VectorIndex, warning.Properties["Index"]);
        Assert.Contains("m=24", (string)warning.Properties["Configured"]!, StringComparison.Ordinal);
        Assert.Contains("m=16", (string)warning.Properties["Built"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_configuration_the_database_lacks_or_an_index_over_another_one_stops_start_up()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using (var missing = new PostgresMemoryStore(
            database.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance, PostgresSearchMode.Database,
            new PostgresIndexOptions { TextSearchConfig = "klingon" }))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => missing.InitializeAsync(None));
            Assert.Contains("TextSearchConfig is 'klingon'", error.Message, StringComparison.Ordinal);
        }

        // Nothing was built by the failed start.
        await using (var english = await OpenAsync(database, PostgresSearchMode.InProcess))
        {
            Assert.Empty(await PostgresSearchIndexes.FindAsync(english.DataSource, None));
        }

        await (await OpenAsync(database, PostgresSearchMode.Database)).DisposeAsync();
        await using var simple = new PostgresMemoryStore(
            database.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance, PostgresSearchMode.Database,
            new PostgresIndexOptions { TextSearchConfig = "simple" });
        var mismatch = await Assert.ThrowsAsync<InvalidOperationException>(() => simple.InitializeAsync(None));
        Assert.Contains(PostgresSearchIndexes.TextIndex, mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("DROP INDEX", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_index_options_are_refused_by_the_store()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresMemoryStore(
            PostgresTestDatabase.DefaultConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance, PostgresSearchMode.Database,
            new PostgresIndexOptions { HnswM = 1, TextSearchConfig = "english'; DROP TABLE memories; --" }));

        Assert.Contains("Storage:PostgresIndexes:HnswM", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:PostgresIndexes:TextSearchConfig", error.Message, StringComparison.Ordinal);
    }

    private static async Task<PostgresMemoryStore> OpenAsync(PostgresTestDatabase database, PostgresSearchMode mode, PostgresIndexOptions? options = null)
    {
        var store = new PostgresMemoryStore(database.ConnectionString, TestVectors.Dimensions, NullLoggerFactory.Instance, mode, options);
        await store.InitializeAsync(None);
        return store;
    }

    /// <summary>Sentences of four words from eight-word lists (each word in about 1/8 of them), random vectors seeded by position.</summary>
    private static async Task AddSentencesAsync(PostgresMemoryStore store, string tenant, MemoryScope scope, int count)
    {
        var random = new Random(20_261_203);
        for (var start = 0; start < count; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, count - start))
                .Select(i => TestMemories.Create(
                    tenant, scope,
                    $"{Subjects[random.Next(8)]} {Verbs[random.Next(8)]} the {Objects[random.Next(8)]} in {Places[random.Next(8)]} (note {i})",
                    TestVectors.Random(1_000_000 + i)))
                .ToList();
            await store.AddAsync(batch, "api", None);
        }
    }

    private static async Task<string> ExplainAsync(NpgsqlDataSource dataSource, NpgsqlBatchCommand? settings, NpgsqlBatchCommand statement)
    {
        await using var connection = await dataSource.OpenConnectionAsync(None);
        await using var transaction = await connection.BeginTransactionAsync(None);
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (settings is not null)
        {
            batch.BatchCommands.Add(settings);
        }

        var explain = new NpgsqlBatchCommand("EXPLAIN " + statement.CommandText);
        foreach (NpgsqlParameter parameter in statement.Parameters)
        {
            explain.Parameters.Add(parameter.Clone());
        }

        batch.BatchCommands.Add(explain);
        var plan = new List<string>();
        await using (var reader = await batch.ExecuteReaderAsync(None))
        {
            if (settings is not null)
            {
                await reader.NextResultAsync(None);
            }

            while (await reader.ReadAsync(None))
            {
                plan.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync(None);
        return string.Join('\n', plan);
    }

    private static NpgsqlBatchCommand ToBatchCommand(NpgsqlCommand command)
    {
        var batchCommand = new NpgsqlBatchCommand(command.CommandText);
        foreach (NpgsqlParameter parameter in command.Parameters)
        {
            batchCommand.Parameters.Add(parameter.Clone());
        }

        return batchCommand;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(None);
    }
}
