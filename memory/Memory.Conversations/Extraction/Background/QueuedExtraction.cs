using Memory.Conversations.Requests;

namespace Memory.Conversations.Extraction.Background;

/// <summary>An add request waiting for the background worker, under the id its caller polls.</summary>
public sealed record QueuedExtraction(string JobId, AddMemoriesRequest Request);
