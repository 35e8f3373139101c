using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Memory.Server.Security;

/// <summary>
/// Maps an API key to its tenant. Accepts <c>Authorization: Token KEY</c> (what Mem0 clients send),
/// <c>Authorization: Bearer KEY</c> and <c>X-API-Key: KEY</c>. With no key configured, loopback callers act as
/// the default tenant and everyone else is refused.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRegistry registry,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string NotLoopbackFailure = "no-keys-not-loopback";
    private const string InvalidKeyFailure = "invalid-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(Authenticate());

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var failure = result.Failure?.Message;
        if (failure == NotLoopbackFailure)
        {
            await WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
                "This server has no API keys configured and serves loopback callers only. Configure Auth:Keys, Auth:KeysFile or MEMORY_API_KEYS.");
            return;
        }

        Response.Headers.WWWAuthenticate = "Token realm=\"memory\", Bearer realm=\"memory\"";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            failure == InvalidKeyFailure
                ? "The API key is not valid."
                : "An API key is required: send 'Authorization: Token <key>', 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "The API key does not grant this operation.");

    internal static string? ReadPresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (!string.IsNullOrWhiteSpace(authorization))
        {
            var space = authorization.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                var scheme = authorization[..space];
                var value = authorization[(space + 1)..].Trim();
                if ((scheme.Equals("Token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
                    && value.Length > 0)
                {
                    return value;
                }
            }

            // An Authorization header of another shape is a wrong credential, not a missing one.
            return authorization.Trim();
        }

        var apiKey = headers[TenantClaims.ApiKeyHeader].ToString().Trim();
        return apiKey.Length > 0 ? apiKey : null;
    }

    private static bool IsLoopback(IPAddress? address)
    {
        // No address means an in-process or Unix-socket caller: both are local by construction.
        if (address is null)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address);
    }

    private AuthenticateResult Authenticate()
    {
        if (!registry.HasKeys)
        {
            return IsLoopback(Context.Connection.RemoteIpAddress)
                ? Success(AuthOptions.DefaultTenant)
                : AuthenticateResult.Fail(NotLoopbackFailure);
        }

        var presented = ReadPresentedKey(Request.Headers);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        return registry.TryFindTenant(presented, out var tenant)
            ? Success(tenant)
            : AuthenticateResult.Fail(InvalidKeyFailure);
    }

    private AuthenticateResult Success(string tenant)
    {
        var identity = new ClaimsIdentity([new Claim(TenantClaims.Tenant, tenant)], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
