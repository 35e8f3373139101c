using Microsoft.Extensions.Options;

namespace Memory.Server.Security;

/// <summary>Fails start-up when any key source is unreadable or holds a weak, duplicate or badly named entry.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var (_, errors) = ApiKeyCatalog.TryResolve(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
