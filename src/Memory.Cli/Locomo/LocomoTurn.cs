namespace Memory.Cli.Locomo;

/// <summary>One utterance of a LoCoMo session; <see cref="ImageCaption"/> is the dataset's caption of a shared photo.</summary>
public sealed record LocomoTurn(string DiaId, string Speaker, string Text, string? ImageCaption);
