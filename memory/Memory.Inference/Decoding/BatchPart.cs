namespace Memory.Inference.Decoding;

/// <summary>Tokens appended to one sequence in a forward pass.</summary>
internal readonly record struct BatchPart(DecoderSequence Sequence, int[] Tokens);
