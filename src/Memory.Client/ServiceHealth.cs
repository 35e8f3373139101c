namespace Memory.Client;

/// <summary>The server's readiness: overall status ("Healthy", "Unhealthy", ...) and each check's.</summary>
public sealed record ServiceHealth
{
    public required string Status { get; init; }

    public IReadOnlyDictionary<string, ServiceHealthCheck> Checks { get; init; } = new Dictionary<string, ServiceHealthCheck>();

    public bool IsHealthy => string.Equals(Status, "Healthy", StringComparison.OrdinalIgnoreCase);
}
