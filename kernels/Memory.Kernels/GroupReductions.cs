using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// Warp and group reductions for explicitly grouped kernels. Group sizes are a power of two and a multiple of the warp
/// size (4 on ILGPU's default CPU device, 32 on CUDA). Every thread of the group must call a group reduction.
/// </summary>
public static class GroupReductions
{
    /// <summary>Shared floats a caller must allocate for <see cref="Sum"/> and <see cref="Max"/>.</summary>
    public const int ScratchSize = 64;

    /// <summary>Sum over the warp, returned to every lane.</summary>
    public static float WarpSum(float value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value += Warp.ShuffleXor(value, offset);
        }

        return value;
    }

    /// <summary>Maximum over the warp, returned to every lane.</summary>
    public static float WarpMax(float value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value = MathF.Max(value, Warp.ShuffleXor(value, offset));
        }

        return value;
    }

    /// <summary>Sum over the group, returned to every thread; summation order is fixed, so results are reproducible.</summary>
    public static float Sum(float value, ArrayView<float> scratch)
    {
        value = WarpSum(value);
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        float total = 0f;
        for (int i = 0; i < warps; i++)
        {
            total += scratch[i];
        }

        Group.Barrier();
        return total;
    }

    /// <summary>Maximum over the group, returned to every thread.</summary>
    public static float Max(float value, ArrayView<float> scratch)
    {
        value = WarpMax(value);
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        float best = float.NegativeInfinity;
        for (int i = 0; i < warps; i++)
        {
            best = MathF.Max(best, scratch[i]);
        }

        Group.Barrier();
        return best;
    }

    /// <summary>Arg-max over the group (lowest index among equal values), returned to every thread.</summary>
    public static ArgMax ArgMax(ArgMax candidate, ArrayView<float> values, ArrayView<int> indices)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            candidate = candidate.With(Warp.ShuffleXor(candidate.Value, offset), Warp.ShuffleXor(candidate.Index, offset));
        }

        if (Warp.LaneIdx == 0)
        {
            values[Warp.WarpIdx] = candidate.Value;
            indices[Warp.WarpIdx] = candidate.Index;
        }

        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        var best = Kernels.ArgMax.None;
        for (int w = 0; w < warps; w++)
        {
            best = best.With(values[w], indices[w]);
        }

        Group.Barrier();
        return best;
    }
}
