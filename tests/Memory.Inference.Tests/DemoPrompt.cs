namespace Memory.Inference.Tests;

/// <summary>One prompt of models/demo/reference.json: its ids, PyTorch's logits after its last token, and 32 greedy tokens.</summary>
internal sealed record DemoPrompt(string Text, int[] Ids, float[] LastLogits, int[] Greedy);
