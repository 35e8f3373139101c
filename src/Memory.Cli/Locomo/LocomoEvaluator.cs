using System.Diagnostics;
using Mediator;
using Memory.Cli.Bench;
using Memory.Cli.Hosting;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Memory.Cli.Locomo;

/// <summary>
/// Evidence recall@k on LoCoMo: every turn of each conversation is stored (one scope per conversation), every
/// category 1–4 question with evidence is searched in its conversation's scope, and the fraction of its
/// evidence dia_ids among the source messages of the top k results is averaged over questions.
/// </summary>
public sealed class LocomoEvaluator
{
    public static readonly IReadOnlyDictionary<int, string> CategoryNames = new Dictionary<int, string>
    {
        [1] = "multi-hop",
        [2] = "temporal",
        [3] = "open-domain",
        [4] = "single-hop",
    };

    private readonly EngineServices _engine;

    public LocomoEvaluator(EngineServices engine) => _engine = engine;

    /// <summary>Whether turns go through fact extraction (infer=true) instead of being stored verbatim.</summary>
    public bool Infer { get; init; }

    public async Task<RecallReport> RunAsync(
        IReadOnlyList<LocomoConversation> conversations, int k, bool includeImageCaptions, IProgress<EvaluationProgress>? progress,
        CancellationToken cancellationToken, TextWriter? details = null)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        var tenant = $"locomo-eval-{Guid.NewGuid():N}";
        await using var scope = _engine.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        try
        {
            var turnCount = conversations.Sum(c => c.Sessions.Sum(s => s.Turns.Count));
            var ingestClock = Stopwatch.StartNew();
            var memories = 0;
            var turnsDone = 0;
            foreach (var conversation in conversations)
            {
                memories += await LocomoIngestion.IngestAsync(mediator, conversation, tenant, includeImageCaptions, cancellationToken, Infer);
                turnsDone += conversation.Sessions.Sum(s => s.Turns.Count);
                progress?.Report(new EvaluationProgress("ingest", turnsDone, turnCount));
            }

            ingestClock.Stop();

            var asked = conversations
                .SelectMany(c => c.Questions
                    .Where(q => CategoryNames.ContainsKey(q.Category) && q.Evidence.Count > 0 && !string.IsNullOrWhiteSpace(q.Question))
                    .Select(q => (Conversation: c, Question: q)))
                .ToList();
            if (asked.Count == 0)
            {
                throw new CliFailureException("The data holds no category 1-4 question with evidence; nothing to evaluate.");
            }

            var recalls = new List<(int Category, double Recall)>(asked.Count);
            var latencies = new List<double>(asked.Count);
            foreach (var (conversation, question) in asked)
            {
                var started = Stopwatch.GetTimestamp();
                var results = await mediator.Send(
                    new SearchMemoriesRequest(tenant, LocomoIngestion.ScopeOf(conversation), question.Question, MetadataFilter.None, k, Threshold: null),
                    cancellationToken);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var recall = EvidenceRecall(question.Evidence, results);
                recalls.Add((question.Category, recall));
                if (details is not null)
                {
                    await details.WriteLineAsync(JsonOutput.Serialize(new QuestionOutcome(
                        conversation.SampleId,
                        question.Category,
                        question.Question,
                        question.Evidence,
                        results.Select(r => new RetrievedTurn(string.Join(",", r.Memory.SourceMessageIds), Math.Round(r.Score, 4), r.Memory.Text)).ToList(),
                        recall)));
                }

                progress?.Report(new EvaluationProgress("search", recalls.Count, asked.Count));
            }

            return new RecallReport
            {
                K = k,
                Questions = recalls.Count,
                Recall = Math.Round(recalls.Average(r => r.Recall), 4),
                ByCategory = recalls
                    .GroupBy(r => r.Category)
                    .OrderBy(g => g.Key)
                    .ToDictionary(
                        g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        g => new CategoryRecall(CategoryNames[g.Key], g.Count(), Math.Round(g.Average(r => r.Recall), 4))),
                Conversations = conversations.Count,
                Memories = memories,
                Store = _engine.Store.Name,
                Embedder = EmbedderName(),
                Fusion = _engine.Services.GetRequiredService<IOptions<RetrievalOptions>>().Value.Fusion.ToString(),
                ImageCaptions = includeImageCaptions,
                IngestSeconds = Math.Round(ingestClock.Elapsed.TotalSeconds, 2),
                SearchMsP50 = Math.Round(Percentiles.Of(latencies, 50), 2),
                SearchMsP95 = Math.Round(Percentiles.Of(latencies, 95), 2),
            };
        }
        finally
        {
            // A shared Postgres database keeps nothing of the run.
            await mediator.Send(new ResetRequest(tenant), CancellationToken.None);
        }
    }

    /// <summary>Fraction of the evidence ids that are source messages of the results.</summary>
    public static double EvidenceRecall(IReadOnlyList<string> evidence, IReadOnlyList<ScoredMemory> results)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(results);
        if (evidence.Count == 0)
        {
            return 0;
        }

        var found = results.SelectMany(r => r.Memory.SourceMessageIds).ToHashSet(StringComparer.Ordinal);
        return evidence.Count(found.Contains) / (double)evidence.Count;
    }

    private string EmbedderName()
    {
        var generator = _engine.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        return metadata?.DefaultModelId ?? metadata?.ProviderName ?? generator.GetType().Name;
    }
}
