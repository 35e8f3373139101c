namespace Memory.Storage;

/// <summary>A search scope as <see cref="ScopeInterner"/> codes; 0 matches any id.</summary>
internal readonly record struct ScopeCodes(int User, int Agent, int Run)
{
    public bool Admits(int user, int agent, int run) =>
        (User == 0 || user == User) && (Agent == 0 || agent == Agent) && (Run == 0 || run == Run);
}
