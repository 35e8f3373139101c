using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Npgsql;

namespace Memory.Storage.Tests;

/// <summary>
/// What only the PostgreSQL store does, in both search modes (<see cref="PostgresInProcessMemoryStoreTests"/>,
/// <see cref="PostgresDatabaseMemoryStoreTests"/>): a transaction that commits late is still searched, and the text
/// rank's statistics follow every write.
/// </summary>
public abstract class PostgresMemoryStoreTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PostgresStoreFixture
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly MemoryScope User = new("u", null, null);

    [Fact]
    public async Task A_write_that_commits_after_a_later_one_is_still_indexed()
    {
        // A transaction that started writing first but commits last: a reader following a sequence would have
        // passed its number already; the change feed must still pick it up.
        var store = fixture.Store;
        var tenant = TestMemories.NewTenant();
        var slowVector = TestVectors.Random(3);
        await using var connection = await store.DataSource.OpenConnectionAsync(None);
        await using var slow = await connection.BeginTransactionAsync(None);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO memories (tenant, id, user_id, text, hash, embedding, created_at) VALUES (@tenant, 'slow', 'u', 'a slow walrus', 'h', @embedding, now())",
            connection, slow))
        {
            insert.Parameters.AddWithValue("tenant", tenant);
            insert.Parameters.Add(new NpgsqlParameter { ParameterName = "embedding", Value = new Pgvector.Vector(slowVector) });
            await insert.ExecuteNonQueryAsync(None);
        }

        var fast = TestMemories.Create(tenant, User, "a fast walrus", TestVectors.Random(4));
        await store.AddAsync([fast], "api", None);
        Assert.Equal([fast.Id], (await store.SearchByTextAsync(tenant, User, "walrus", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));

        await slow.CommitAsync(None);

        var found = await store.SearchByTextAsync(tenant, User, "walrus slow", MetadataFilter.None, 10, None);
        Assert.Equal(["slow", fast.Id], found.Select(s => s.Memory.Id));
        Assert.Equal("slow", (await store.SearchByVectorAsync(tenant, User, slowVector, MetadataFilter.None, 1, None))[0].Memory.Id);
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
}
