namespace Memory.Conversations.Extraction;

/// <summary>A relative time phrase of a fact and the absolute date it meant when the message was sent.</summary>
public sealed record DateReference(string Phrase, DateOnly Date, DateGranularity Granularity);
