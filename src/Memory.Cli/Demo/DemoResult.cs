namespace Memory.Cli.Demo;

/// <summary>The JSON object <c>memory demo</c> prints last.</summary>
internal sealed record DemoResult(string Model, string Accelerator, string PassKey, IReadOnlyList<DemoSession> Sessions, long StoredBlocks, long StoredBytes);

/// <summary>One session's answer and how much of its prompt came from the KV cache.</summary>
internal sealed record DemoSession(int Session, string Answer, bool Correct, int PromptTokens, int CachedTokens, double TimeToFirstTokenMs);
