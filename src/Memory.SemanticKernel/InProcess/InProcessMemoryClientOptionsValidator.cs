using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Memory.SemanticKernel.InProcess;

/// <summary>Tenant names follow the server's rule, so in-process and REST data can share one store.</summary>
internal sealed partial class InProcessMemoryClientOptionsValidator : IValidateOptions<InProcessMemoryClientOptions>
{
    public ValidateOptionsResult Validate(string? name, InProcessMemoryClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tenant is null || !TenantPattern().IsMatch(options.Tenant))
        {
            return ValidateOptionsResult.Fail(
                $"{InProcessMemoryClientOptions.SectionName}:Tenant must be 1-64 letters, digits, '.', '_' or '-' (got '{options.Tenant}').");
        }

        if (string.IsNullOrWhiteSpace(options.Actor) || options.Actor.Length > 64)
        {
            return ValidateOptionsResult.Fail($"{InProcessMemoryClientOptions.SectionName}:Actor must be 1-64 characters.");
        }

        return ValidateOptionsResult.Success;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TenantPattern();
}
