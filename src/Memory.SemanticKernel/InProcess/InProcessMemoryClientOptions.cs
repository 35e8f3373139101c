namespace Memory.SemanticKernel.InProcess;

/// <summary>Which tenant an in-process client acts for, and the actor its changes are written under in history.</summary>
public sealed class InProcessMemoryClientOptions
{
    public const string SectionName = "InProcessMemory";

    /// <summary>The tenant every call works in (1–64 letters, digits, '.', '_', '-'; the server's default tenant is "default").</summary>
    public string Tenant { get; set; } = "default";

    /// <summary>Written as the actor of every change in the history table.</summary>
    public string Actor { get; set; } = "semantic-kernel";
}
