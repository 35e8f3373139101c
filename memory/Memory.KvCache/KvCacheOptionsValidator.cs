using Microsoft.Extensions.Options;

namespace Memory.KvCache;

/// <summary>Reports every problem of the "KvCache" section at start-up, each with the setting's name.</summary>
internal sealed class KvCacheOptionsValidator : IValidateOptions<KvCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, KvCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
