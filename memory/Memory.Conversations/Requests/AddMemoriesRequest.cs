using System.Text.Json;
using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>
/// Turns messages into memories. With <see cref="Infer"/> false every message becomes one memory verbatim;
/// with true the extraction pipeline decides (and fails with <see cref="Errors.InferenceUnavailableException"/>
/// while no LLM is configured).
/// </summary>
public sealed record AddMemoriesRequest(
    string Tenant,
    MemoryScope Scope,
    IReadOnlyList<IncomingMessage> Messages,
    IReadOnlyDictionary<string, JsonElement>? Metadata,
    bool Infer,
    string Actor) : IRequest<AddMemoriesResult>;

/// <summary>
/// What an add did, one entry per memory touched (Mem0's <c>results</c>); for infer=true also how the
/// extraction went (<see cref="Extraction"/>, null for infer=false).
/// </summary>
public sealed record AddMemoriesResult(IReadOnlyList<MemoryChange> Results)
{
    public ExtractionReport? Extraction { get; init; }
}

/// <summary>One memory touched by an add; <see cref="PreviousMemory"/> is set for updates.</summary>
public sealed record MemoryChange(string Id, string Memory, MemoryEvent Event, string? PreviousMemory = null);
