using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Npgsql;

namespace Memory.Storage.Tests;

/// <summary>What only the PostgreSQL store does: its index and plans, and the text rank's scope sizes.</summary>
public sealed class PostgresMemoryStoreTests(PostgresStoreFixture fixture) : IClassFixture<PostgresStoreFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly MemoryScope User = new("u", null, null);

    [Fact]
    public async Task The_hnsw_index_holds_half_precision_copies_and_vector_search_uses_it()
    {
        var store = fixture.Store;
        await using var connection = await store.DataSource.OpenConnectionAsync(None);
        await using (var definition = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = 'memories_embedding_idx' AND schemaname = current_schema()", connection))
        {
            var indexDefinition = (string)(await definition.ExecuteScalarAsync(None))!;
            Assert.Contains($"halfvec({TestVectors.Dimensions})", indexDefinition, StringComparison.Ordinal);
            Assert.Contains("halfvec_cosine_ops", indexDefinition, StringComparison.Ordinal);
        }

        await using var transaction = await connection.BeginTransactionAsync(None);
        await using (var planner = new NpgsqlCommand("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off", connection, transaction))
        {
            await planner.ExecuteNonQueryAsync(None);
        }

        foreach (var exact in new[] { false, true })
        {
            var search = store.VectorSearchCommand("t", User, TestVectors.Random(1), MetadataFilter.None, 10, exact);
            await using var explain = new NpgsqlCommand("EXPLAIN " + search.CommandText, connection, transaction);
            foreach (NpgsqlParameter parameter in search.Parameters)
            {
                explain.Parameters.Add(parameter.Clone());
            }

            var plan = string.Join("\n", await ReadAllAsync(explain));
            Assert.Equal(!exact, plan.Contains("memories_embedding_idx", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_text_rank_counts_the_scope_again_after_every_write()
    {
        var store = fixture.Store;
        var tenant = TestMemories.NewTenant();
        await store.AddAsync([TestMemories.Create(tenant, User, "kayak trip on the lake"), TestMemories.Create(tenant, User, "a walk in the park")], "api", None);
        var small = Assert.Single(await store.SearchByTextAsync(tenant, User, "kayak", MetadataFilter.None, 10, None));

        // The word is as rare as before in a scope 26 times the size: its IDF, and the score, must grow at once.
        await store.AddAsync(Enumerable.Range(0, 50).Select(i => TestMemories.Create(tenant, User, $"unrelated note {i}")).ToList(), "api", None);
        var large = Assert.Single(await store.SearchByTextAsync(tenant, User, "kayak", MetadataFilter.None, 10, None));
        Assert.True(large.Score > small.Score * 2, $"{large.Score} after the write, {small.Score} before");

        await store.DeleteScopeAsync(tenant, User, "api", None);
        await store.AddAsync([TestMemories.Create(tenant, User, "kayak trip on the lake"), TestMemories.Create(tenant, User, "a walk in the park")], "api", None);
        var again = Assert.Single(await store.SearchByTextAsync(tenant, User, "kayak", MetadataFilter.None, 10, None));
        Assert.Equal(small.Score, again.Score, 5);
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(None);
        while (await reader.ReadAsync(None))
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
