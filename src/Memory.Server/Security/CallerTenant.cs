using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Memory.Server.Security;

/// <summary>The tenant of the authenticated caller, bound as an endpoint parameter.</summary>
internal sealed record CallerTenant(string Id)
{
    public static ValueTask<CallerTenant?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = context.User.FindFirst(TenantClaims.Tenant)?.Value;

        // Endpoints that bind a tenant always require authorization; reaching here without one is a wiring bug.
        return tenant is null
            ? throw new InvalidOperationException($"Endpoint {context.GetEndpoint()?.DisplayName} binds a tenant but is not protected by the API-key scheme.")
            : ValueTask.FromResult<CallerTenant?>(new CallerTenant(tenant));
    }
}
