using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>Where a background (async_mode) extraction stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BackgroundExtractionStatus>))]
public enum BackgroundExtractionStatus
{
    [JsonStringEnumMemberName("QUEUED")]
    Queued,

    [JsonStringEnumMemberName("RUNNING")]
    Running,

    /// <summary>Done: <see cref="BackgroundExtraction.Results"/> lists the memories touched (the outcome may still be "failed": stored verbatim).</summary>
    [JsonStringEnumMemberName("COMPLETED")]
    Completed,

    /// <summary>Nothing could be stored (the store itself failed); <see cref="BackgroundExtraction.Error"/> says why.</summary>
    [JsonStringEnumMemberName("FAILED")]
    Failed,
}
