namespace Memory.Client;

/// <summary>
/// The Memory service's API: add (now or in the background), extraction status, list, get, update, delete, delete a scope, history, search, reset, readiness.
/// Errors arrive as <see cref="MemoryApiException"/> (or a subclass for 400, 401/403, 404, 503). The REST
/// implementation is <see cref="MemoryClient"/>; an in-process one lives in Memory.SemanticKernel.
/// </summary>
public interface IMemoryClient
{
    /// <summary>Turns messages into memories (<c>POST /memories</c>).</summary>
    Task<AddMemoriesResponse> AddAsync(MemoryAddRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues an infer=true add for the server's background worker (<c>POST /memories</c> with <c>async_mode</c>) and
    /// returns at once; follow it with <see cref="GetExtractionAsync"/>.
    /// </summary>
    Task<BackgroundExtraction> AddInBackgroundAsync(MemoryAddRequest request, CancellationToken cancellationToken = default);

    /// <summary>Where a background extraction stands (<c>GET /v1/extractions/{id}</c>); its results once completed.</summary>
    Task<BackgroundExtraction> GetExtractionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Memories of a scope, newest first (<c>GET /memories</c>); <paramref name="limit"/> defaults to 100 on the server.
    /// With <paramref name="asOf"/>: the memories valid at that instant, including ones invalidated since.
    /// </summary>
    Task<IReadOnlyList<MemoryEntry>> ListAsync(
        MemoryScopeIds scope, int? limit = null, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default);

    /// <summary>One memory (<c>GET /memories/{id}</c>); <see cref="MemoryApiNotFoundException"/> when this key has no such memory.</summary>
    Task<MemoryEntry> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces a memory's text, and its metadata when given (<c>PUT /memories/{id}</c>).</summary>
    Task<MemoryEntry> UpdateAsync(string id, MemoryUpdateRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes one memory (<c>DELETE /memories/{id}</c>).</summary>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes every memory of a scope (<c>DELETE /memories?...</c>); returns how many went.</summary>
    Task<int> DeleteAllAsync(MemoryScopeIds scope, CancellationToken cancellationToken = default);

    /// <summary>Every change to a memory, oldest first, kept after it is deleted (<c>GET /memories/{id}/history</c>).</summary>
    Task<IReadOnlyList<MemoryHistoryRecord>> GetHistoryAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Memories of a scope ranked by relevance to a query, with scores in [0, 1] (<c>POST /search</c>).</summary>
    Task<IReadOnlyList<MemoryEntry>> SearchAsync(MemorySearchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes every memory and all history of the caller's tenant (<c>POST /reset</c>).</summary>
    Task ResetAsync(CancellationToken cancellationToken = default);

    /// <summary>Readiness (<c>GET /health/ready</c>): an unhealthy answer is returned, not thrown.</summary>
    Task<ServiceHealth> GetHealthAsync(CancellationToken cancellationToken = default);
}
