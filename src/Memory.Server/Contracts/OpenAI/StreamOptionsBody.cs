namespace Memory.Server.Contracts.OpenAI;

/// <summary>OpenAI's stream_options: include_usage adds a last chunk with the token counts.</summary>
internal sealed class StreamOptionsBody
{
    public bool? IncludeUsage { get; set; }
}
