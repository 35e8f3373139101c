using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Memory.Client.Wire;

/// <summary>
/// Reads an error response into a <see cref="MemoryApiProblem"/>: the RFC 9457 body when there is one, otherwise
/// (a proxy's HTML page, an empty body) the status, reason phrase and the start of the body.
/// </summary>
internal static class ProblemResponseReader
{
    private const int MaxEchoedBodyChars = 500;

    public static async Task<MemoryApiProblem> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var problem = new MemoryApiProblem(response.StatusCode, response.ReasonPhrase ?? response.StatusCode.ToString())
        {
            RetryAfter = RetryAfterOf(response.Headers.RetryAfter),
        };

        if (TryParseObject(body) is not { } root)
        {
            return problem with { Detail = string.IsNullOrWhiteSpace(body) ? null : Shorten(body) };
        }

        return problem with
        {
            Title = StringOf(root, "title") ?? problem.Title,
            Detail = StringOf(root, "detail"),
            Type = StringOf(root, "type"),
            TraceId = StringOf(root, "trace_id") ?? StringOf(root, "traceId"),
            Errors = ErrorsOf(root),
        };
    }

    private static JsonElement? TryParseObject(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? StringOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Dictionary<string, string[]> ErrorsOf(JsonElement root)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!root.TryGetProperty("errors", out var value) || value.ValueKind != JsonValueKind.Object)
        {
            return errors;
        }

        foreach (var field in value.EnumerateObject())
        {
            errors[field.Name] = field.Value.ValueKind switch
            {
                JsonValueKind.Array => [.. field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText())],
                JsonValueKind.String => [field.Value.GetString()!],
                _ => [field.Value.GetRawText()],
            };
        }

        return errors;
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string Shorten(string body)
    {
        var text = body.Trim();
        if (text.Length <= MaxEchoedBodyChars)
        {
            return text;
        }

        var cut = new StringBuilder(text, 0, MaxEchoedBodyChars, MaxEchoedBodyChars + 3);
        return cut.Append("...").ToString();
    }
}
