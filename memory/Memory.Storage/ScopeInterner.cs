using Memory.Conversations.Model;

namespace Memory.Storage;

/// <summary>
/// The scope ids of one tenant's in-process index as small integers, so a scan compares integers, not strings;
/// 0 stands for "no id". Not thread-safe: the owning index calls it under its own lock.
/// </summary>
internal sealed class ScopeInterner
{
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);

    public int Intern(string? name)
    {
        if (name is null)
        {
            return 0;
        }

        if (!_codes.TryGetValue(name, out var code))
        {
            code = _codes.Count + 1;
            _codes[name] = code;
        }

        return code;
    }

    /// <summary>False when the scope names an id no memory of this tenant has: nothing can match.</summary>
    public bool TryResolve(MemoryScope scope, out ScopeCodes codes)
    {
        codes = default;
        if (!TryCode(scope.UserId, out var user) || !TryCode(scope.AgentId, out var agent) || !TryCode(scope.RunId, out var run))
        {
            return false;
        }

        codes = new ScopeCodes(user, agent, run);
        return true;
    }

    private bool TryCode(string? name, out int code)
    {
        if (name is null)
        {
            code = 0;
            return true;
        }

        return _codes.TryGetValue(name, out code);
    }
}
