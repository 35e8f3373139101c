using Microsoft.SemanticKernel;

namespace Memory.SemanticKernel.Injection;

/// <summary>How many memories are put in front of the model before each call, and which.</summary>
public sealed class MemoryInjectionOptions
{
    /// <summary>Most memories injected per model call (default 5).</summary>
    public int MaxMemories { get; set; } = 5;

    /// <summary>Memories scoring below this (0 to 1) are left out; null keeps the best <see cref="MaxMemories"/> whatever their score.</summary>
    public double? MinScore { get; set; }

    /// <summary>The search query is cut to this many characters (the last ones, where the question usually is).</summary>
    public int MaxQueryChars { get; set; } = 2000;

    /// <summary>
    /// <see cref="MemoryPromptRenderFilter"/> only: which prompt functions get memories (default: all). Leave out
    /// helper prompts such as summarisers, e.g. <c>f => f.PluginName is null</c>.
    /// </summary>
    public Func<KernelFunction, bool>? AppliesTo { get; set; }

    /// <summary>
    /// <see cref="MemoryContextProvider"/> only: store each user message as it is added to the conversation
    /// (with <see cref="Infer"/>), so the conversation itself becomes memory.
    /// </summary>
    public bool RememberUserMessages { get; set; }

    /// <summary>With <see cref="RememberUserMessages"/>: true lets the server extract facts with its LLM; false stores messages verbatim.</summary>
    public bool Infer { get; set; }

    internal void Validate()
    {
        if (MaxMemories is < 1 or > 100)
        {
            throw new ArgumentException($"MemoryInjectionOptions.MaxMemories must be 1-100 (got {MaxMemories}).");
        }

        if (MinScore is < 0 or > 1)
        {
            throw new ArgumentException($"MemoryInjectionOptions.MinScore must be within 0-1 (got {MinScore}).");
        }

        if (MaxQueryChars is < 16 or > 8192)
        {
            throw new ArgumentException($"MemoryInjectionOptions.MaxQueryChars must be 16-8192 (got {MaxQueryChars}).");
        }
    }
}
