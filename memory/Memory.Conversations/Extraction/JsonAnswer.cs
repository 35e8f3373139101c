using System.Text.Json;

namespace Memory.Conversations.Extraction;

/// <summary>
/// What a chat model answered when asked for JSON: the parsed object, or why no usable object came (after the
/// retry), with the raw text of the last answer for the log.
/// </summary>
public sealed record JsonAnswer(bool Succeeded, JsonElement Root, string? Error, string? RawText, int Attempts)
{
    public static JsonAnswer Success(JsonElement root, string rawText, int attempts) => new(true, root, null, rawText, attempts);

    public static JsonAnswer Failure(string error, string? rawText, int attempts) => new(false, default, error, rawText, attempts);
}
