using System.Diagnostics;
using Mediator;
using Memory.Cli.Hosting;
using Memory.Cli.Locomo;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Memory.Cli.Bench;

/// <summary>
/// Ingest rate and search latency of one store at one size, through the same requests the REST API sends:
/// AddMemoriesRequest (infer=false) in client-sized batches into one scope, then SearchMemoriesRequest
/// (hybrid, top_k 10) and the store's raw vector and text searches, interleaved query by query after a warm-up; then,
/// untimed, the raw vector search's recall@10 against the exact neighbours of the same queries.
/// </summary>
public sealed class StoreBenchmark
{
    /// <summary>The recall needs every stored embedding, read by one list call (the store's list limit).</summary>
    public const int MaxRecallSize = 100_000;

    private const int TopK = 10;
    private readonly EngineServices _engine;
    private readonly SyntheticCorpus _corpus = new(seed: 20_261_101);

    public StoreBenchmark(EngineServices engine) => _engine = engine;

    public async Task<StoreBenchmarkResult> RunAsync(
        int size, int batchSize, int queries, int warmup, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var tenant = $"bench-{Guid.NewGuid():N}";
        var scope = MemoryScope.From("bench-user", agentId: null, runId: null);
        await using var serviceScope = _engine.Services.CreateAsyncScope();
        var mediator = serviceScope.ServiceProvider.GetRequiredService<IMediator>();
        var embedder = serviceScope.ServiceProvider.GetRequiredService<MemoryEmbedder>();
        var store = _engine.Store;
        try
        {
            var ingestClock = Stopwatch.StartNew();
            for (var start = 0; start < size; start += batchSize)
            {
                var messages = Enumerable.Range(start, Math.Min(batchSize, size - start))
                    .Select(i => new IncomingMessage("user", _corpus.Memory(i), $"m{i}"))
                    .ToList();
                await mediator.Send(new AddMemoriesRequest(tenant, scope, messages, Metadata: null, Infer: false, Actor: "bench"), cancellationToken);
                progress?.Report(new EvaluationProgress($"{store.Name} {size:N0}: ingest", Math.Min(start + batchSize, size), size));
            }

            ingestClock.Stop();

            var texts = Enumerable.Range(0, queries + warmup).Select(_corpus.Query).ToList();
            var vectors = await embedder.EmbedAsync(texts, cancellationToken);

            // Interleaved, query by query: timed one kind after another, the first kind ran right after the ingest and
            // paid for what that left behind (caches, collections, checkpoints): 18.2 ms hybrid p50 first, 9.9 ms
            // when it ran last, same build, same VM.
            var timings = await TimeInterleavedAsync(
                queries,
                warmup,
                [
                    i => mediator.Send(new SearchMemoriesRequest(tenant, scope, texts[i], MetadataFilter.None, TopK, Threshold: null), cancellationToken).AsTask(),
                    i => store.SearchByVectorAsync(tenant, scope, vectors[i], MetadataFilter.None, TopK, cancellationToken),
                    i => store.SearchByTextAsync(tenant, scope, texts[i], MetadataFilter.None, TopK, cancellationToken),
                ],
                progress is null ? null : new Progress<int>(done => progress.Report(new EvaluationProgress($"{store.Name} {size:N0}: search", done, queries))),
                cancellationToken);
            var (hybrid, vector, text) = (timings[0], timings[1], timings[2]);
            var recall = size <= MaxRecallSize
                ? await VectorRecallAsync(store, tenant, scope, vectors.Take(queries).ToList(), size, cancellationToken)
                : (double?)null;

            return new StoreBenchmarkResult(
                store.Name,
                store is PostgresMemoryStore postgres ? postgres.SearchMode.ToString() : null,
                size,
                batchSize,
                Math.Round(ingestClock.Elapsed.TotalSeconds, 2),
                Math.Round(size / ingestClock.Elapsed.TotalSeconds, 1),
                LatencySummary.From(hybrid),
                LatencySummary.From(vector),
                LatencySummary.From(text),
                recall);
        }
        finally
        {
            await mediator.Send(new ResetRequest(tenant), CancellationToken.None);
        }
    }

    /// <summary>Mean over the queries of |returned top 10 ∩ exact top 10| / 10.</summary>
    private static async Task<double> VectorRecallAsync(
        Memory.Conversations.Storage.IMemoryStore store, string tenant, MemoryScope scope, List<ReadOnlyMemory<float>> queries, int size,
        CancellationToken cancellationToken)
    {
        var stored = await store.ListAsync(tenant, scope, MetadataFilter.None, size, includeInvalid: false, cancellationToken);
        var exact = new ExactNeighbours(stored.Select(memory => (memory.Id, memory.Embedding)).ToList());
        var found = 0.0;
        foreach (var query in queries)
        {
            var truth = exact.Nearest(query.Span, TopK);
            var returned = await store.SearchByVectorAsync(tenant, scope, query, MetadataFilter.None, TopK, cancellationToken);
            found += returned.Count(result => truth.Contains(result.Memory.Id)) / (double)truth.Count;
        }

        return Math.Round(found / queries.Count, 4);
    }

    /// <summary>Warms every kind up, then times query i of each kind in turn, for every i.</summary>
    private static async Task<List<double>[]> TimeInterleavedAsync(
        int queries, int warmup, Func<int, Task>[] kinds, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        for (var i = 0; i < warmup; i++)
        {
            foreach (var call in kinds)
            {
                await call(queries + i);
            }
        }

        var timings = kinds.Select(_ => new List<double>(queries)).ToArray();
        for (var i = 0; i < queries; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var kind = 0; kind < kinds.Length; kind++)
            {
                var started = Stopwatch.GetTimestamp();
                await kinds[kind](i);
                timings[kind].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            progress?.Report(i + 1);
        }

        return timings;
    }
}
