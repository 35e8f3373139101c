namespace Memory.Conversations.Extraction.Background;

/// <summary>Where a background extraction stands.</summary>
public enum ExtractionJobStatus
{
    Queued,
    Running,

    /// <summary>Done: the result lists the memories touched; its extraction report may still say "failed" (messages stored verbatim).</summary>
    Completed,

    /// <summary>Nothing could be stored (the store itself failed); the error says why.</summary>
    Failed,
}
