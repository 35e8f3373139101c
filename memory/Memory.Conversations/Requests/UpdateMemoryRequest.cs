using System.Text.Json;
using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>Replaces a memory's text (re-embedded) and optionally its metadata; null when not found.</summary>
public sealed record UpdateMemoryRequest(
    string Tenant,
    string Id,
    string Text,
    IReadOnlyDictionary<string, JsonElement>? Metadata,
    string Actor) : IRequest<MemoryRecord?>;
