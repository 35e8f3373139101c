namespace Memory.Cli.Locomo;

public sealed record LocomoConversation(
    string SampleId, string SpeakerA, string SpeakerB, IReadOnlyList<LocomoSession> Sessions, IReadOnlyList<LocomoQuestion> Questions);
