namespace Memory.Inference.Tests;

/// <summary>One reference prompt: its text, token ids, float64 logits from position <paramref name="FirstLogitPosition"/> on, and greedy continuation.</summary>
public sealed record ReferencePrompt(string Text, int[] TextIds, int[] InputIds, float[] ExactLogits, int FirstLogitPosition, int[] Greedy);
