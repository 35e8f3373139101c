using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator;
using Memory.Client;
using Memory.Conversations.Errors;
using Memory.Conversations.Extraction.Background;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ClientMemoryChange = Memory.Client.MemoryChange;
using DomainMemoryChange = Memory.Conversations.Requests.MemoryChange;

namespace Memory.SemanticKernel.InProcess;

/// <summary>
/// <see cref="IMemoryClient"/> inside the host process: each call sends the engine's Mediator request in a fresh
/// DI scope, for one tenant, with the REST server's defaults and errors (translated to the same client
/// exceptions). The store's schema is created on first use. Register with
/// <see cref="InProcessMemoryServiceCollectionExtensions.AddInProcessMemoryClient(IServiceCollection, Action{InProcessMemoryClientOptions})"/>
/// after <c>AddMemoryStorage</c> and <c>AddConversationMemory</c>.
/// </summary>
public sealed class InProcessMemoryClient : IMemoryClient, IDisposable
{
    private const int DefaultListLimit = 100;
    private const int DefaultTopK = 20;

    private readonly IServiceScopeFactory _scopes;
    private readonly InProcessMemoryClientOptions _options;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _initialized;

    public InProcessMemoryClient(IServiceScopeFactory scopes, IOptions<InProcessMemoryClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(options);
        _scopes = scopes;
        _options = options.Value;
    }

    public Task<AddMemoriesResponse> AddAsync(MemoryAddRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(async sender =>
        {
            var result = await sender.Send(
                new AddMemoriesRequest(_options.Tenant, ScopeOf(request.UserId, request.AgentId, request.RunId), Messages(request.Messages),
                    Metadata(request.Metadata), request.Infer, _options.Actor),
                cancellationToken);
            return new AddMemoriesResponse { Results = [.. result.Results.Select(ToClient)], Extraction = ToClient(result.Extraction) };
        }, cancellationToken);
    }

    public Task<BackgroundExtraction> AddInBackgroundAsync(MemoryAddRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Infer)
        {
            throw new ArgumentException("Only infer=true adds run in the background; send infer=false adds with AddAsync.", nameof(request));
        }

        return SendAsync(async sender => ToClient(await sender.Send(
            new QueueExtractionRequest(new AddMemoriesRequest(_options.Tenant, ScopeOf(request.UserId, request.AgentId, request.RunId),
                Messages(request.Messages), Metadata(request.Metadata), Infer: true, _options.Actor)),
            cancellationToken)), cancellationToken);
    }

    public Task<BackgroundExtraction> GetExtractionAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(async sender =>
        {
            var job = await sender.Send(new GetExtractionRequest(_options.Tenant, id), cancellationToken);
            return job is null ? throw DomainErrorTranslation.ExtractionNotFound(id) : ToClient(job);
        }, cancellationToken);

    public Task<IReadOnlyList<MemoryEntry>> ListAsync(
        MemoryScopeIds scope, int? limit = null, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return SendAsync<IReadOnlyList<MemoryEntry>>(async sender =>
        {
            var memories = await sender.Send(
                new ListMemoriesRequest(_options.Tenant, ScopeOf(scope.UserId, scope.AgentId, scope.RunId), MetadataFilter.None, limit ?? DefaultListLimit, asOf),
                cancellationToken);
            return [.. memories.Select(m => ToClient(m))];
        }, cancellationToken);
    }

    public Task<MemoryEntry> GetAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(async sender =>
        {
            var memory = await sender.Send(new GetMemoryRequest(_options.Tenant, id), cancellationToken);
            return memory is null ? throw DomainErrorTranslation.NotFound(id) : ToClient(memory);
        }, cancellationToken);

    public Task<MemoryEntry> UpdateAsync(string id, MemoryUpdateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(async sender =>
        {
            var text = request.Text ?? throw new MemoryValidationException("text", "'text' is required: the new content of the memory.");
            var memory = await sender.Send(
                new UpdateMemoryRequest(_options.Tenant, id, text, Metadata(request.Metadata), _options.Actor), cancellationToken);
            return memory is null ? throw DomainErrorTranslation.NotFound(id) : ToClient(memory);
        }, cancellationToken);
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(async sender =>
        {
            var deleted = await sender.Send(new DeleteMemoryRequest(_options.Tenant, id, _options.Actor), cancellationToken);
            return deleted ? true : throw DomainErrorTranslation.NotFound(id);
        }, cancellationToken);

    public Task<int> DeleteAllAsync(MemoryScopeIds scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return SendAsync(async sender => await sender.Send(
            new DeleteScopeRequest(_options.Tenant, ScopeOf(scope.UserId, scope.AgentId, scope.RunId), _options.Actor), cancellationToken),
            cancellationToken);
    }

    public Task<IReadOnlyList<MemoryHistoryRecord>> GetHistoryAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<MemoryHistoryRecord>>(async sender =>
        {
            var history = await sender.Send(new GetHistoryRequest(_options.Tenant, id), cancellationToken);
            return history.Count == 0 ? throw DomainErrorTranslation.NotFound(id) : [.. history.Select(ToClient)];
        }, cancellationToken);

    public Task<IReadOnlyList<MemoryEntry>> SearchAsync(MemorySearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<IReadOnlyList<MemoryEntry>>(async sender =>
        {
            if (request.Query is null)
            {
                throw new MemoryValidationException("query", "'query' is required.");
            }

            var (scope, filter) = InProcessSearchFilters.Read(request.UserId, request.AgentId, request.RunId, request.Filters);
            var found = await sender.Send(
                new SearchMemoriesRequest(_options.Tenant, scope, request.Query, filter, request.TopK ?? DefaultTopK, request.Threshold, request.AsOf),
                cancellationToken);
            return [.. found.Select(s => ToClient(s.Memory, s.Score))];
        }, cancellationToken);
    }

    public Task ResetAsync(CancellationToken cancellationToken = default) =>
        SendAsync(async sender => await sender.Send(new ResetRequest(_options.Tenant), cancellationToken), cancellationToken);

    public async Task<ServiceHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IMemoryStore>();
        bool answers;
        try
        {
            answers = await store.PingAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            answers = false;
        }

        var status = answers ? "Healthy" : "Unhealthy";
        return new ServiceHealth
        {
            Status = status,
            Checks = new Dictionary<string, ServiceHealthCheck>
            {
                ["store"] = new() { Status = status, Description = answers ? $"{store.Name} answers." : $"{store.Name} does not answer." },
            },
        };
    }

    public void Dispose() => _initialization.Dispose();

    private async Task<T> SendAsync<T>(Func<ISender, Task<T>> send, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        try
        {
            await EnsureInitializedAsync(scope.ServiceProvider, cancellationToken);
            return await send(scope.ServiceProvider.GetRequiredService<ISender>());
        }
        catch (Exception exception) when (DomainErrorTranslation.Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    private async Task EnsureInitializedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initialization.WaitAsync(cancellationToken);
        try
        {
            if (!_initialized)
            {
                await services.GetRequiredService<IMemoryStore>().InitializeAsync(cancellationToken);
                _initialized = true;
            }
        }
        finally
        {
            _initialization.Release();
        }
    }

    private static MemoryScope ScopeOf(string? userId, string? agentId, string? runId) => MemoryScope.From(userId, agentId, runId);

    private static List<IncomingMessage> Messages(IReadOnlyList<MemoryMessage>? messages)
    {
        if (messages is null)
        {
            throw new MemoryValidationException("messages", "'messages' is required: a list of {\"role\", \"content\"} objects.");
        }

        var incoming = new List<IncomingMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new MemoryValidationException($"messages[{i}]", $"messages[{i}] is null; expected {{\"role\", \"content\"}}.");
            if (string.IsNullOrWhiteSpace(message.Role))
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role is required (e.g. \"user\" or \"assistant\").");
            }

            if (message.Content is null)
            {
                throw new MemoryValidationException($"messages[{i}].content", $"messages[{i}].content is required.");
            }

            var messageId = string.IsNullOrWhiteSpace(message.MessageId) ? null : message.MessageId.Trim();
            incoming.Add(new IncomingMessage(message.Role, message.Content, messageId, message.Timestamp, Metadata(message.Metadata)));
        }

        return incoming;
    }

    private static Dictionary<string, JsonElement>? Metadata(JsonObject? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(metadata.ToJsonString());
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    private static MemoryChangeEvent ToClient(MemoryEvent memoryEvent) => memoryEvent switch
    {
        MemoryEvent.Add => MemoryChangeEvent.Add,
        MemoryEvent.Update => MemoryChangeEvent.Update,
        MemoryEvent.Delete => MemoryChangeEvent.Delete,
        MemoryEvent.None => MemoryChangeEvent.None,
        MemoryEvent.Invalidate => MemoryChangeEvent.Invalidate,
        _ => throw new InvalidOperationException($"Unknown memory event '{memoryEvent}'."),
    };

    private static ExtractionOutcome? ToClient(ExtractionReport? report) => report is null ? null : new ExtractionOutcome
    {
        Status = report.Status,
        Facts = report.Facts,
        Error = report.Error,
        Model = report.Model,
        PromptVersion = report.PromptVersion,
    };

    private static BackgroundExtraction ToClient(ExtractionJob job) => new()
    {
        Id = job.Id,
        Status = job.Status switch
        {
            ExtractionJobStatus.Queued => BackgroundExtractionStatus.Queued,
            ExtractionJobStatus.Running => BackgroundExtractionStatus.Running,
            ExtractionJobStatus.Completed => BackgroundExtractionStatus.Completed,
            ExtractionJobStatus.Failed => BackgroundExtractionStatus.Failed,
            _ => throw new InvalidOperationException($"Unknown extraction status '{job.Status}'."),
        },
        Messages = job.Messages,
        QueuedAt = job.QueuedAt,
        StartedAt = job.StartedAt,
        FinishedAt = job.FinishedAt,
        Attempts = job.Attempts,
        Results = job.Result is null ? null : [.. job.Result.Results.Select(ToClient)],
        Extraction = ToClient(job.Result?.Extraction),
        Error = job.Error,
    };

    private static ClientMemoryChange ToClient(DomainMemoryChange change) =>
        new() { Id = change.Id, Text = change.Memory, Event = ToClient(change.Event), PreviousMemory = change.PreviousMemory };

    private static MemoryEntry ToClient(MemoryRecord record, double? score = null) => new()
    {
        Id = record.Id,
        Text = record.Text,
        Hash = record.Hash,
        Metadata = record.Metadata,
        Score = score,
        CreatedAt = record.CreatedAt,
        UpdatedAt = record.UpdatedAt,
        UserId = record.Scope.UserId,
        AgentId = record.Scope.AgentId,
        RunId = record.Scope.RunId,
        Role = record.Role,
        SourceMessageIds = record.SourceMessageIds,
        InvalidAt = record.InvalidAt,
        SupersededBy = record.SupersededBy,
    };

    private static MemoryHistoryRecord ToClient(MemoryHistoryEntry entry) => new()
    {
        Id = entry.Id,
        MemoryId = entry.MemoryId,
        OldMemory = entry.OldMemory,
        NewMemory = entry.NewMemory,
        Event = ToClient(entry.Event),
        CreatedAt = entry.CreatedAt,
        IsDeleted = entry.IsDeleted,
        ActorId = entry.Actor,
        Role = entry.Role,
        SourceMessageIds = entry.SourceMessageIds,
    };
}
