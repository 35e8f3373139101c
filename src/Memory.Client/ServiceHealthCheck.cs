namespace Memory.Client;

/// <summary>One readiness check (e.g. "store") and what it found.</summary>
public sealed record ServiceHealthCheck
{
    public required string Status { get; init; }

    public string? Description { get; init; }
}
