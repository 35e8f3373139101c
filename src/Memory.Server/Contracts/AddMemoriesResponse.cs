using System.Text.Json.Serialization;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>
/// Answer of <c>POST /memories</c>: Mem0's <c>{"results": [...]}</c>, plus for infer=true how the extraction went
/// (<c>extraction.status</c> "failed" means the messages were stored verbatim with metadata extraction: failed).
/// </summary>
internal sealed record AddMemoriesResponse(
    IReadOnlyList<AddResultItem> Results,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ExtractionReport? Extraction)
{
    public static AddMemoriesResponse From(AddMemoriesResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new AddMemoriesResponse([.. result.Results.Select(AddResultItem.From)], result.Extraction);
    }
}
