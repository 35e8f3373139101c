namespace Memory.Cli.Locomo;

/// <summary>How far a run is: <paramref name="Stage"/> with <paramref name="Done"/> of <paramref name="Total"/> items.</summary>
public sealed record EvaluationProgress(string Stage, int Done, int Total);
