using System.Net;
using Microsoft.Extensions.Options;

namespace Memory.Client;

/// <summary>Refuses options that cannot work, naming the key at fault, when the host starts.</summary>
internal sealed class MemoryClientOptionsValidator : IValidateOptions<MemoryClientOptions>
{
    public ValidateOptionsResult Validate(string? name, MemoryClientOptions options) =>
        Check(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    /// <summary>The first problem with the options, or null.</summary>
    public static string? Check(MemoryClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BaseAddress is not { IsAbsoluteUri: true } address || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            return $"{MemoryClientOptions.SectionName}:BaseAddress must be an absolute http or https address such as http://127.0.0.1:8000/ (got '{options.BaseAddress}').";
        }

        if (!string.IsNullOrEmpty(address.Query) || !string.IsNullOrEmpty(address.Fragment))
        {
            return $"{MemoryClientOptions.SectionName}:BaseAddress must not carry a query or fragment (got '{address}').";
        }

        if (options.ApiKey is { } key && (key.Length == 0 || key.Any(char.IsWhiteSpace)))
        {
            return $"{MemoryClientOptions.SectionName}:ApiKey must be a non-empty key without white space.";
        }

        if (string.IsNullOrEmpty(options.ApiKey) && !IsLoopback(address))
        {
            return $"{MemoryClientOptions.SectionName}:ApiKey is required: a server at '{address.Host}' serves only callers with a key (a server without keys answers loopback callers only).";
        }

        if (options.AuthenticationScheme is not ("Token" or "Bearer"))
        {
            return $"{MemoryClientOptions.SectionName}:AuthenticationScheme must be 'Token' or 'Bearer' (got '{options.AuthenticationScheme}').";
        }

        if (options.Timeout <= TimeSpan.Zero && options.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            return $"{MemoryClientOptions.SectionName}:Timeout must be positive (got {options.Timeout}).";
        }

        return null;
    }

    private static bool IsLoopback(Uri address) =>
        address.IsLoopback || (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
