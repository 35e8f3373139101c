using System.Globalization;
using System.Text.Json;
using Memory.Conversations.Consolidation;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Errors;
using Memory.Conversations.Ingestion;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Retrieval;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction;

/// <summary>
/// infer=true, Mem0's flow made safe: extract facts (<see cref="FactExtractor"/>); answer a fact already stored
/// word for word in the scope with NONE without asking the model; find each other fact's related memories by
/// hybrid search; let the model decide per fact (<see cref="MemoryConsolidator"/>); apply every change with its
/// history row in one transaction. When the model's output stays unusable the messages are stored verbatim with
/// <c>extraction: failed</c>, counted and logged, never dropped; when the model cannot be reached nothing is
/// stored and <see cref="ChatModelUnavailableException"/> tells the caller to retry.
/// </summary>
public sealed class ExtractionPipeline
{
    public const string Actor = "extraction";

    private readonly ExtractionChat _chat;
    private readonly FactExtractor _extractor;
    private readonly MemoryConsolidator _consolidator;
    private readonly HybridRetriever _retriever;
    private readonly MemoryEmbedder _embedder;
    private readonly VerbatimIngestion _verbatim;
    private readonly IMemoryStore _store;
    private readonly ExtractionOptions _options;
    private readonly ExtractionMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger<ExtractionPipeline> _logger;

    public ExtractionPipeline(
        ExtractionChat chat, FactExtractor extractor, MemoryConsolidator consolidator, HybridRetriever retriever, MemoryEmbedder embedder,
        VerbatimIngestion verbatim, IMemoryStore store, IOptions<ExtractionOptions> options, ExtractionMetrics metrics, TimeProvider clock,
        ILogger<ExtractionPipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _chat = chat;
        _extractor = extractor;
        _consolidator = consolidator;
        _retriever = retriever;
        _embedder = embedder;
        _verbatim = verbatim;
        _store = store;
        _options = options.Value;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
    }

    public const string NotConfigured =
        "Fact extraction (infer=true) needs a chat model and none is configured: set Extraction:Provider (OpenAI or Ollama) and " +
        "Extraction:Model, plus Extraction:Endpoint for Ollama or any OpenAI-compatible server other than api.openai.com and " +
        "Extraction:ApiKey where the server needs one (environment: Extraction__Provider, Extraction__Model, ...). " +
        "Nothing was stored; send infer=false to store the messages verbatim.";

    /// <summary>Whether a chat model is configured (else <see cref="RunAsync"/> refuses).</summary>
    public bool IsConfigured => _chat.IsConfigured;

    /// <param name="request">A validated add request with infer=true.</param>
    /// <param name="cancellationToken">Cancels the calls and the write.</param>
    public async Task<AddMemoriesResult> RunAsync(AddMemoriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_chat.IsConfigured)
        {
            throw new InferenceUnavailableException(NotConfigured);
        }

        _metrics.Run();
        var messages = Label(request.Messages, _clock.GetUtcNow());
        var known = _options.ContextMemories == 0
            ? []
            : await _store.ListAsync(request.Tenant, request.Scope, MetadataFilter.None, _options.ContextMemories, includeInvalid: false, cancellationToken);
        var extraction = await _extractor.ExtractAsync(messages, known, cancellationToken);
        if (!extraction.Succeeded)
        {
            return await StoreVerbatimAsync(request, extraction.Error!, cancellationToken);
        }

        var facts = Merge(extraction.Facts);
        var decisions = new FactDecision?[facts.Count];
        var pending = new List<int>();
        for (var i = 0; i < facts.Count; i++)
        {
            var repeat = facts[i].IsForgetRequest ? null : await FindStoredAsync(request, facts[i].Text, cancellationToken);
            if (repeat is not null)
            {
                decisions[i] = new FactDecision(facts[i], MemoryEvent.None, repeat, repeat.Text);
            }
            else
            {
                pending.Add(i);
            }
        }

        string? consolidationError = null;
        if (pending.Count > 0)
        {
            var related = await RelatedAsync(request, pending.Select(i => facts[i]), cancellationToken);
            var pendingFacts = pending.Select(i => facts[i]).ToList();
            var consolidation = related.Count == 0
                ? new ConsolidationResult([.. pendingFacts.Select(MemoryConsolidator.Default)], null)
                : await _consolidator.DecideAsync(pendingFacts, related, cancellationToken);
            if (!consolidation.Succeeded)
            {
                consolidationError = consolidation.Error;
                _metrics.Failed("consolidation");
                _logger.LogError(
                    "Consolidation answer of {Model} stayed unusable for tenant {Tenant}: {Error}; all {Count} facts are added without comparison",
                    _chat.ModelName, request.Tenant, consolidation.Error, pendingFacts.Count);
                consolidation = new ConsolidationResult([.. pendingFacts.Select(MemoryConsolidator.Default)], null);
            }

            for (var j = 0; j < pending.Count; j++)
            {
                decisions[pending[j]] = consolidation.Decisions[j];
            }
        }

        var changes = await ApplyAsync(request, [.. decisions.Select(d => d!)], consolidationError, cancellationToken);
        var report = consolidationError is null
            ? new ExtractionReport(ExtractionReport.Succeeded, facts.Count, null, _chat.ModelName, _options.PromptVersion)
            : new ExtractionReport(ExtractionReport.Unconsolidated, facts.Count, consolidationError, _chat.ModelName, _options.PromptVersion);
        return new AddMemoriesResult(changes) { Extraction = report };
    }

    /// <summary>
    /// Stores the messages verbatim with <c>extraction: failed</c> and the reason in metadata: the last resort
    /// that keeps them when the model's output was unusable (or, for background jobs, the model stayed down).
    /// </summary>
    public async Task<AddMemoriesResult> StoreVerbatimAsync(AddMemoriesRequest request, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        _metrics.Failed("extraction");
        _logger.LogError(
            "Fact extraction by {Model} failed for tenant {Tenant} ({Messages} messages): {Error}; the messages are stored verbatim with extraction: failed",
            _chat.ModelName, request.Tenant, request.Messages.Count, error);
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["extraction"] = JsonSerializer.SerializeToElement(ExtractionReport.Failed),
            ["extraction_error"] = JsonSerializer.SerializeToElement(error),
        };
        var stored = await _verbatim.StoreAsync(request, metadata, cancellationToken);
        return stored with
        {
            Extraction = new ExtractionReport(ExtractionReport.Failed, 0, error, _chat.ModelName, _options.PromptVersion),
        };
    }

    private static List<LabelledMessage> Label(IReadOnlyList<IncomingMessage> messages, DateTimeOffset now)
    {
        var labelled = new List<LabelledMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var id = string.IsNullOrWhiteSpace(message.MessageId) ? Guid.CreateVersion7(now).ToString() : message.MessageId.Trim();
            labelled.Add(new LabelledMessage($"m{i + 1}", id, message, message.Timestamp ?? now));
        }

        return labelled;
    }

    /// <summary>Facts with the same normalised text become one, citing all their messages.</summary>
    private static List<ExtractedFact> Merge(IReadOnlyList<ExtractedFact> facts)
    {
        var merged = new List<ExtractedFact>();
        var byKey = new Dictionary<(string Hash, bool Forget), int>();
        foreach (var fact in facts)
        {
            var key = (ContentHash.Compute(fact.Text), fact.IsForgetRequest);
            if (byKey.TryGetValue(key, out var index))
            {
                var first = merged[index];
                merged[index] = first with
                {
                    Sources = [.. first.Sources.Concat(fact.Sources).DistinctBy(s => s.Label)],
                    SaidAt = first.SaidAt > fact.SaidAt ? first.SaidAt : fact.SaidAt,
                };
            }
            else
            {
                byKey[key] = merged.Count;
                merged.Add(fact);
            }
        }

        return merged;
    }

    private async Task<MemoryRecord?> FindStoredAsync(AddMemoriesRequest request, string text, CancellationToken cancellationToken)
    {
        var sameHash = await _store.FindByHashAsync(request.Tenant, request.Scope, ContentHash.Compute(text), cancellationToken);
        return sameHash.FirstOrDefault(m => m.Scope == request.Scope);
    }

    /// <summary>The union of each fact's best hybrid-search matches in the scope, best first, each memory once.</summary>
    private async Task<List<MemoryRecord>> RelatedAsync(AddMemoriesRequest request, IEnumerable<ExtractedFact> facts, CancellationToken cancellationToken)
    {
        var related = new List<MemoryRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fact in facts)
        {
            var found = await _retriever.SearchAsync(
                request.Tenant, request.Scope, fact.Text, MetadataFilter.None, _options.RelatedMemories, threshold: null, cancellationToken);
            foreach (var match in found)
            {
                if (seen.Add(match.Memory.Id))
                {
                    related.Add(match.Memory);
                }
            }
        }

        return related;
    }

    private async Task<List<MemoryChange>> ApplyAsync(
        AddMemoriesRequest request, IReadOnlyList<FactDecision> decisions, string? consolidationError, CancellationToken cancellationToken)
    {
        var toEmbed = decisions.Where(d => d.Event is MemoryEvent.Add or MemoryEvent.Invalidate or MemoryEvent.Update).Select(d => d.Text).Distinct(StringComparer.Ordinal).ToList();
        var vectors = toEmbed.Count == 0 ? [] : await _embedder.EmbedAsync(toEmbed, cancellationToken);
        var vectorOf = toEmbed.Select((text, i) => (text, vector: vectors[i])).ToDictionary(p => p.text, p => p.vector, StringComparer.Ordinal);

        var operations = new List<MemoryOperation>();
        var changes = new List<MemoryChange>();
        var addedByHash = new Dictionary<string, MemoryRecord>(StringComparer.Ordinal);
        foreach (var decision in decisions)
        {
            var fact = decision.Fact;
            switch (decision.Event)
            {
                case MemoryEvent.Add:
                case MemoryEvent.Invalidate:
                    var hash = ContentHash.Compute(decision.Text);
                    if (!addedByHash.TryGetValue(hash, out var added))
                    {
                        added = NewMemory(request, fact, decision.Text, hash, vectorOf[decision.Text], consolidationError);
                        addedByHash[hash] = added;
                        operations.Add(MemoryOperation.Add(added));
                        changes.Add(new MemoryChange(added.Id, added.Text, MemoryEvent.Add));
                    }

                    if (decision.Event == MemoryEvent.Invalidate)
                    {
                        var old = decision.Target!;
                        var invalidAt = fact.SaidAt > old.CreatedAt ? fact.SaidAt : old.CreatedAt;
                        operations.Add(MemoryOperation.Invalidate(old.Id, invalidAt, added.Id, added.Text, fact.SourceMessageIds));
                        changes.Add(new MemoryChange(old.Id, old.Text, MemoryEvent.Invalidate));
                    }

                    break;
                case MemoryEvent.Update:
                    var target = decision.Target!;
                    var sources = target.SourceMessageIds.Concat(fact.SourceMessageIds).Distinct(StringComparer.Ordinal).ToList();
                    var update = new MemoryUpdate(
                        decision.Text, ContentHash.Compute(decision.Text), vectorOf[decision.Text], WithDates(target.Metadata, fact), sources);
                    operations.Add(MemoryOperation.Change(target.Id, update, fact.SourceMessageIds));
                    changes.Add(new MemoryChange(target.Id, decision.Text, MemoryEvent.Update, target.Text));
                    break;
                case MemoryEvent.Delete:
                    operations.Add(MemoryOperation.Delete(decision.Target!.Id, fact.SourceMessageIds));
                    changes.Add(new MemoryChange(decision.Target.Id, decision.Target.Text, MemoryEvent.Delete));
                    break;
                case MemoryEvent.None when decision.Target is not null:
                    operations.Add(MemoryOperation.Confirm(decision.Target.Id, fact.SourceMessageIds));
                    changes.Add(new MemoryChange(decision.Target.Id, decision.Target.Text, MemoryEvent.None));
                    break;
            }

            _metrics.Event(decision.Event);
        }

        await _store.ApplyAsync(request.Tenant, operations, request.Actor, cancellationToken);
        _logger.LogDebug(
            "Extraction for tenant {Tenant}: {Facts} facts, {Operations} changes ({Events})",
            request.Tenant, decisions.Count, operations.Count, string.Join(", ", operations.GroupBy(o => o.Event).Select(g => $"{g.Key} {g.Count()}")));
        return changes;
    }

    private MemoryRecord NewMemory(
        AddMemoriesRequest request, ExtractedFact fact, string text, string hash, ReadOnlyMemory<float> embedding, string? consolidationError)
    {
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Metadata ?? new Dictionary<string, JsonElement>())
        {
            metadata[key] = value.Clone();
        }

        metadata["extraction"] = JsonSerializer.SerializeToElement(ExtractionReport.Succeeded);
        metadata["extraction_model"] = JsonSerializer.SerializeToElement(_chat.ModelName);
        metadata["extraction_prompt"] = JsonSerializer.SerializeToElement(_options.PromptVersion);
        metadata["said_at"] = JsonSerializer.SerializeToElement(fact.SaidAt.ToString("O", CultureInfo.InvariantCulture));
        if (consolidationError is not null)
        {
            metadata["consolidation"] = JsonSerializer.SerializeToElement(ExtractionReport.Failed);
        }

        return new MemoryRecord
        {
            Id = Guid.CreateVersion7(_clock.GetUtcNow()).ToString(),
            Tenant = request.Tenant,
            Scope = request.Scope,
            Text = text,
            Hash = hash,
            Embedding = embedding,
            Metadata = WithDates(metadata, fact),
            SourceMessageIds = fact.SourceMessageIds,
            CreatedAt = fact.SaidAt,
        };
    }

    /// <summary>Adds the fact's grounded dates (relative phrases and absolute dates in its text) under "dates".</summary>
    private static Dictionary<string, JsonElement> WithDates(IReadOnlyDictionary<string, JsonElement> metadata, ExtractedFact fact)
    {
        var result = new Dictionary<string, JsonElement>(metadata, StringComparer.Ordinal);
        var dates = fact.Dates
            .Select(d => new Dictionary<string, string>
            {
                ["phrase"] = d.Phrase,
                ["date"] = d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["granularity"] = d.Granularity.ToString().ToLowerInvariant(),
            })
            .Concat(QueryDates.Find(fact.Text)
                .Where(m => fact.Dates.All(d => d.Date != m.Date))
                .Select(m => new Dictionary<string, string>
                {
                    ["date"] = m.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["granularity"] = m.Precision.ToString().ToLowerInvariant(),
                }))
            .ToList();
        if (dates.Count > 0)
        {
            result["dates"] = JsonSerializer.SerializeToElement(dates);
        }

        return result;
    }
}
