namespace Memory.Cli.Locomo;

/// <summary>One session of a conversation, with its date as written in the data and as parsed (null when unparseable).</summary>
public sealed record LocomoSession(int Number, string? DateTimeText, DateTimeOffset? DateTime, IReadOnlyList<LocomoTurn> Turns);
