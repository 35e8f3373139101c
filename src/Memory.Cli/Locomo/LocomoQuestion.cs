namespace Memory.Cli.Locomo;

/// <summary>A question with its category (1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial) and evidence turn ids.</summary>
public sealed record LocomoQuestion(string Question, int Category, IReadOnlyList<string> Evidence);
