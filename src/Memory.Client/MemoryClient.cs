using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Memory.Client.Wire;

namespace Memory.Client;

/// <summary>
/// <see cref="IMemoryClient"/> over HTTP. Used as a typed <see cref="HttpClient"/> client
/// (<c>services.AddMemoryClient(...)</c>), or built directly with <see cref="Create"/>.
/// </summary>
public sealed class MemoryClient : IMemoryClient
{
    private static readonly MemoryClientJsonContext Json = MemoryClientJsonContext.Default;
    private readonly HttpClient _http;

    /// <param name="httpClient">A client whose base address, key header and timeout are already set (see <see cref="MemoryClientOptions.ApplyTo"/>).</param>
    public MemoryClient(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient has no BaseAddress: set MemoryClientOptions.BaseAddress (e.g. http://127.0.0.1:8000/).", nameof(httpClient));
        }

        _http = httpClient;
    }

    /// <summary>A client over <paramref name="httpClient"/> configured from <paramref name="options"/> (validated first).</summary>
    public static MemoryClient Create(HttpClient httpClient, MemoryClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var failure = MemoryClientOptionsValidator.Check(options);
        if (failure is not null)
        {
            throw new ArgumentException(failure, nameof(options));
        }

        options.ApplyTo(httpClient);
        return new MemoryClient(httpClient);
    }

    public async Task<AddMemoriesResponse> AddAsync(MemoryAddRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = JsonContent.Create(request, Json.MemoryAddRequest);
        using var response = await _http.PostAsync("memories", content, cancellationToken);
        return await ReadAsync(response, Json.AddMemoriesResponse, cancellationToken);
    }

    public async Task<BackgroundExtraction> AddInBackgroundAsync(MemoryAddRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Infer)
        {
            throw new ArgumentException("Only infer=true adds run in the background; send infer=false adds with AddAsync.", nameof(request));
        }

        var body = JsonSerializer.SerializeToNode(request, Json.MemoryAddRequest)!.AsObject();
        body["async_mode"] = true;
        using var content = JsonContent.Create(body, Json.JsonObject);
        using var response = await _http.PostAsync("memories", content, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            throw new MemoryApiException($"The server ran the extraction at once instead of queueing it (200, not 202): it does not support async_mode.");
        }

        return await ReadAsync(response, Json.BackgroundExtraction, cancellationToken);
    }

    public async Task<BackgroundExtraction> GetExtractionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        using var response = await _http.GetAsync("v1/extractions/" + Uri.EscapeDataString(id), cancellationToken);
        return await ReadAsync(response, Json.BackgroundExtraction, cancellationToken);
    }

    public async Task<IReadOnlyList<MemoryEntry>> ListAsync(
        MemoryScopeIds scope, int? limit = null, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var query = ScopeQuery(scope);
        if (limit is { } value)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append("limit=").Append(value);
        }

        if (asOf is { } instant)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append("as_of=").Append(Uri.EscapeDataString(instant.ToString("O", CultureInfo.InvariantCulture)));
        }

        using var response = await _http.GetAsync("memories" + query, cancellationToken);
        return (await ReadAsync(response, Json.ResultEnvelopeMemoryEntry, cancellationToken)).Results;
    }

    public async Task<MemoryEntry> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(MemoryPath(id), cancellationToken);
        return await ReadAsync(response, Json.MemoryEntry, cancellationToken);
    }

    public async Task<MemoryEntry> UpdateAsync(string id, MemoryUpdateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = JsonContent.Create(request, Json.MemoryUpdateRequest);
        using var response = await _http.PutAsync(MemoryPath(id), content, cancellationToken);
        return (await ReadAsync(response, Json.UpdatedMemoryAck, cancellationToken)).Result;
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await _http.DeleteAsync(MemoryPath(id), cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task<int> DeleteAllAsync(MemoryScopeIds scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        using var response = await _http.DeleteAsync("memories" + ScopeQuery(scope), cancellationToken);
        return (await ReadAsync(response, Json.DeletedScopeAck, cancellationToken)).Deleted;
    }

    public async Task<IReadOnlyList<MemoryHistoryRecord>> GetHistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(MemoryPath(id) + "/history", cancellationToken);
        return await ReadAsync(response, Json.ListMemoryHistoryRecord, cancellationToken);
    }

    public async Task<IReadOnlyList<MemoryEntry>> SearchAsync(MemorySearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = JsonContent.Create(request, Json.MemorySearchRequest);
        using var response = await _http.PostAsync("search", content, cancellationToken);
        return (await ReadAsync(response, Json.ResultEnvelopeMemoryEntry, cancellationToken)).Results;
    }

    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsync("reset", content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task<ServiceHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("health/ready", cancellationToken);

        // 503 is the readiness answer "the store does not answer", with the same body as 200.
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable
            && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            return await response.Content.ReadFromJsonAsync(Json.ServiceHealth, cancellationToken)
                ?? throw new MemoryApiException("The readiness answer was empty.");
        }

        return await ReadAsync(response, Json.ServiceHealth, cancellationToken);
    }

    private static string MemoryPath(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return "memories/" + Uri.EscapeDataString(id);
    }

    private static StringBuilder ScopeQuery(MemoryScopeIds scope)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in (ReadOnlySpan<(string, string?)>)[("user_id", scope.UserId), ("agent_id", scope.AgentId), ("run_id", scope.RunId)])
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return query;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new MemoryApiException($"The server answered {(int)response.StatusCode} with an empty body where JSON was expected.");
        }
        catch (JsonException json)
        {
            // A success status with a body of another shape: not a Memory server, or a version that changed its API.
            throw new MemoryApiException(
                $"The answer of {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} ({(int)response.StatusCode}) is not the expected {typeof(T).Name} JSON: {json.Message}",
                json);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw MemoryApiException.From(await ProblemResponseReader.ReadAsync(response, cancellationToken));
        }
    }
}
