using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Memory.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Storage.Tests;

public sealed class SqliteMemoryStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-storage-tests", Guid.NewGuid().ToString("N"));

    private string FilePath => Path.Combine(_directory, "memory.db");

    private SqliteMemoryStore Open(int dimensions = TestVectors.Dimensions) =>
        new(FilePath, dimensions, NullLogger<SqliteMemoryStore>.Instance);

    [Fact]
    public async Task Reopening_the_file_keeps_memories_history_and_the_vector_index()
    {
        var tenant = TestMemories.NewTenant();
        var scope = new MemoryScope("u", null, null);
        var query = TestVectors.Random(7);
        var memories = Enumerable.Range(0, 200).Select(i => TestMemories.Create(tenant, scope, $"fact number {i}", TestVectors.Near(query, i, 0.02f * i))).ToList();
        IReadOnlyList<ScoredMemory> before;
        IReadOnlyList<MemoryHistoryEntry> historyBefore;
        await using (var store = Open())
        {
            await store.AddAsync(memories, "api", CancellationToken.None);
            await store.UpdateAsync(tenant, memories[150].Id, new MemoryUpdate("moved fact", TestMemories.Hash("moved fact"), query), "api", CancellationToken.None);
            await store.DeleteAsync(tenant, memories[0].Id, "api", CancellationToken.None);
            await store.UpdateAsync(tenant, memories[1].Id,
                new MemoryUpdate(memories[1].Text, memories[1].Hash, memories[1].Embedding, InvalidAt: DateTimeOffset.UtcNow), "api", CancellationToken.None);
            before = await store.SearchByVectorAsync(tenant, scope, query, MetadataFilter.None, 10, CancellationToken.None);
            historyBefore = await store.GetHistoryAsync(tenant, memories[150].Id, CancellationToken.None);
        }

        await using var reopened = Open();
        await reopened.InitializeAsync(CancellationToken.None);
        var after = await reopened.SearchByVectorAsync(tenant, scope, query, MetadataFilter.None, 10, CancellationToken.None);

        Assert.Equal(before.Select(s => s.Memory.Id), after.Select(s => s.Memory.Id));
        Assert.Equal(memories[150].Id, after[0].Memory.Id);
        Assert.DoesNotContain(after, s => s.Memory.Id == memories[0].Id || s.Memory.Id == memories[1].Id);
        Assert.Equal(199, await reopened.CountAsync(tenant, CancellationToken.None));
        Assert.Equal(historyBefore.Select(h => h.Id), (await reopened.GetHistoryAsync(tenant, memories[150].Id, CancellationToken.None)).Select(h => h.Id));
        Assert.Single(await reopened.SearchByTextAsync(tenant, scope, "moved", MetadataFilter.None, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_large_tenant_gets_the_exact_nearest_neighbours_through_both_index_passes()
    {
        // 20,000 memories: above the size where the index scans its 4-bit codes first, on two threads.
        var tenant = TestMemories.NewTenant();
        var scope = new MemoryScope("u", null, null);
        var other = new MemoryScope("v", null, null);
        var vectors = Enumerable.Range(0, 20_000).Select(i => TestVectors.Random(10_000 + i)).ToArray();
        await using var store = Open();
        for (var start = 0; start < vectors.Length; start += 1_000)
        {
            var batch = Enumerable.Range(start, 1_000)
                .Select(i => TestMemories.Create(tenant, i % 10 == 0 ? other : scope, $"memory {i}", vectors[i], id: $"m{i}"))
                .ToList();
            await store.AddAsync(batch, "api", CancellationToken.None);
        }

        for (var q = 0; q < 10; q++)
        {
            var query = q % 2 == 0 ? TestVectors.Random(q) : TestVectors.Near(vectors[(q * 997) + 1], q, 0.5f);
            var exact = Enumerable.Range(0, vectors.Length)
                .Where(i => i % 10 != 0)
                .OrderByDescending(i => TestVectors.Cosine(query, vectors[i]))
                .Take(10)
                .Select(i => $"m{i}")
                .ToList();

            var found = await store.SearchByVectorAsync(tenant, scope, query, MetadataFilter.None, 10, CancellationToken.None);

            Assert.Equal(exact, found.Select(s => s.Memory.Id));
            Assert.All(found, s => Assert.Equal(TestVectors.Cosine(query, s.Memory.Embedding.ToArray()), s.Score, 5));
        }
    }

    [Fact]
    public async Task The_file_is_in_wal_mode()
    {
        await using (var store = Open())
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await using var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Opening_a_file_with_another_dimension_fails_with_a_clear_message()
    {
        await using (var store = Open(16))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await using var mismatched = Open(32);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => mismatched.InitializeAsync(CancellationToken.None));
        Assert.Contains("16-dimensional", error.Message, StringComparison.Ordinal);
        Assert.Contains("EmbeddingDimensions is 32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_directory_is_created()
    {
        await using var store = new SqliteMemoryStore(Path.Combine(_directory, "nested", "deeper", "memory.db"), 8, NullLogger<SqliteMemoryStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        Assert.True(File.Exists(store.Path));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
