namespace Memory.Server.Security;

/// <summary>Names used by the API-key authentication scheme.</summary>
internal static class TenantClaims
{
    public const string Scheme = "ApiKey";

    /// <summary>Claim holding the tenant a request acts for.</summary>
    public const string Tenant = "memory:tenant";

    public const string ApiKeyHeader = "X-API-Key";
}
