using System.ComponentModel.DataAnnotations;

namespace Memory.Conversations;

/// <summary>Limits on what one request may carry and how verbatim messages are indexed (section "Conversations").</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Conversations";

    /// <summary>Longest message or memory text accepted, in characters.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 32_768;

    [Range(1, 100_000)]
    public int MaxMessagesPerRequest { get; set; } = 1_000;

    [Range(1, 100_000)]
    public int MaxQueryLength { get; set; } = 8_192;

    /// <summary>Largest page a list request may ask for.</summary>
    [Range(1, 1_000_000)]
    public int MaxListLimit { get; set; } = 10_000;

    /// <summary>
    /// Whether a verbatim message's embedding also carries the previous message of the same request, so a
    /// short answer ("Yes, last May") can be found by the question it answers. Provenance stays the one message.
    /// </summary>
    public bool IndexPreviousMessage { get; set; } = true;

    /// <summary>Weight of the previous message's embedding against the message's own (1).</summary>
    [Range(0.0, 1.0)]
    public double PreviousMessageWeight { get; set; } = 0.5;

    /// <summary>Weight of the next message's embedding (the reply), for the same reason in the other direction; 0 turns it off.</summary>
    [Range(0.0, 1.0)]
    public double NextMessageWeight { get; set; } = 0.2;

    /// <summary>Whether the role (often a speaker's name) is part of the embedded text.</summary>
    public bool IndexRole { get; set; } = true;
}
