namespace Memory.Client.Tests.Infrastructure;

/// <summary>Scope ids unique to one test, so tests sharing a server never see each other's memories.</summary>
internal static class TestScopes
{
    public static string NewUser(string name = "user") => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 13)];
}
