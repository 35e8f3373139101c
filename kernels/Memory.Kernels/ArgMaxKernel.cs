using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// First pass of the logits' arg-max: one group per (row, chunk of <see cref="ChunkSize"/> logits) writes the chunk's
/// best value and index, so <see cref="SampleKernel"/> reads a few dozen partials per row instead of one group
/// scanning a 150K vocabulary alone (a few hundred dependent loads per thread, the largest launch of a decode step).
/// </summary>
public static class ArgMaxKernel
{
    /// <summary>Logits per chunk.</summary>
    public const int ChunkSize = 4096;

    /// <summary>Chunks a row of <paramref name="vocab"/> logits takes.</summary>
    public static int Chunks(int vocab) => (vocab + ChunkSize - 1) / ChunkSize;

    /// <summary>The kernel (explicitly grouped; grid = rows · chunks, partial i = row · chunks + chunk).</summary>
    public static void Partials(ArrayView<float> logits, ArrayView<float> values, ArrayView<int> indices, int vocab)
    {
        var bestValues = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var bestIndices = SharedMemory.Allocate<int>(GroupReductions.ScratchSize);
        int chunks = Chunks(vocab);
        int row = Grid.IdxX / chunks;
        int start = Grid.IdxX % chunks * ChunkSize;
        int end = Math.Min(vocab, start + ChunkSize);
        int b = row * vocab;
        int g = Group.DimX;
        var best = ArgMax.None;
        for (int i = start + Group.IdxX; i < end; i += 4 * g)
        {
            // Four loads before any comparison; indices rise within the pass, so ties keep the lowest.
            float v0 = logits[b + i];
            float v1 = i + g < end ? logits[b + i + g] : float.NegativeInfinity;
            float v2 = i + (2 * g) < end ? logits[b + i + (2 * g)] : float.NegativeInfinity;
            float v3 = i + (3 * g) < end ? logits[b + i + (3 * g)] : float.NegativeInfinity;
            best = best.With(v0, i).With(v1, i + g).With(v2, i + (2 * g)).With(v3, i + (3 * g));
        }

        best = GroupReductions.ArgMax(best, bestValues, bestIndices);
        if (Group.IdxX == 0)
        {
            values[Grid.IdxX] = best.Value;
            indices[Grid.IdxX] = best.Index;
        }
    }
}
