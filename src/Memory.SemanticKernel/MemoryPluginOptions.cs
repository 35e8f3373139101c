namespace Memory.SemanticKernel;

/// <summary>How the memory plugin stores and recalls; chosen by the host, never by the model.</summary>
public sealed class MemoryPluginOptions
{
    /// <summary>
    /// False (default): a remembered fact is stored as the model wrote it. True: the server extracts and
    /// consolidates facts with its LLM (needs a server with an extraction pipeline configured).
    /// </summary>
    public bool Infer { get; set; }

    /// <summary>Results <c>recall</c> returns when the model does not say (default 5).</summary>
    public int DefaultRecallCount { get; set; } = 5;

    /// <summary>The most results <c>recall</c> and <c>list</c> return, whatever the model asks for (default 50).</summary>
    public int MaxResults { get; set; } = 50;

    /// <summary>Recall drops memories scoring below this (0 to 1; null: the server's default of no threshold).</summary>
    public double? RecallThreshold { get; set; }

    /// <summary>Metadata stored with every remembered fact, e.g. the application's name.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; set; } = new Dictionary<string, string>();
}
