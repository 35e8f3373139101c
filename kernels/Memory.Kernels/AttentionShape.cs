namespace Memory.Kernels;

/// <summary>
/// The scalar arguments of <see cref="PagedAttentionKernel.Run"/> in one kernel parameter (ILGPU's stream-kernel
/// launchers take at most 15 parameters).
/// </summary>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads; query head h reads kv head h / (Heads / KvHeads).</param>
/// <param name="HeadDim">Dimensions per head.</param>
/// <param name="BlockSize">Tokens per KV cache block.</param>
/// <param name="Scale">Score scale, 1/√HeadDim.</param>
/// <param name="SplitKeys">Keys per split group (int.MaxValue with one split).</param>
/// <param name="Splits">Groups per (token, head).</param>
/// <param name="Window">Sliding attention window: a token attends to itself and the Window − 1 keys before it; 0: all.</param>
public readonly record struct AttentionShape(int Heads, int KvHeads, int HeadDim, int BlockSize, float Scale, int SplitKeys, int Splits, int Window);
