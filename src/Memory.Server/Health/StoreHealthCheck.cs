using Memory.Conversations.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Memory.Server.Health;

/// <summary>Ready when the memory store answers a trivial query.</summary>
internal sealed class StoreHealthCheck(IMemoryStore store) : IHealthCheck
{
    public const string Name = "store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy($"{store.Name} store answers.")
                : HealthCheckResult.Unhealthy($"{store.Name} store does not answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{store.Name} store failed: {ex.GetType().Name}", ex);
        }
    }
}
