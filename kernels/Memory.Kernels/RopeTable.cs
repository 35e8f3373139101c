using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// Cosines and sines of the rotary angles, [position, j] = (cos, sin) of the fp32 product position · invFreq[j] (as
/// transformers computes it), taken in double precision on the host. Long contexts need the double: a GPU fast-math
/// cosine loses accuracy at large angles, and ILGPU's software double cosine on the device cost more than the whole
/// projection it follows. The table grows with the longest position asked for, so it costs memory for the contexts
/// actually run, not for the model's maximum.
/// </summary>
public sealed class RopeTable : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly float[] _invFreq;
    private MemoryBuffer1D<float, Stride1D.Dense> _table;

    /// <param name="accelerator">Where the table lives.</param>
    /// <param name="invFreq">Inverse frequencies, one per rotated pair (scaling already folded in).</param>
    public RopeTable(Accelerator accelerator, float[] invFreq)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(invFreq);
        ArgumentOutOfRangeException.ThrowIfZero(invFreq.Length, nameof(invFreq));
        _accelerator = accelerator;
        _invFreq = (float[])invFreq.Clone();
        _table = accelerator.Allocate1D<float>(0);
    }

    /// <summary>Rotated pairs per head (headDim / 2).</summary>
    public int Pairs => _invFreq.Length;

    /// <summary>Positions the table covers.</summary>
    public int Positions { get; private set; }

    /// <summary>The device table, 2 · <see cref="Pairs"/> floats per position.</summary>
    public ArrayView<float> View => _table.View;

    /// <summary>Makes the table cover positions [0, count); grows by doubling, computing only the new rows.</summary>
    public void EnsurePositions(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= Positions)
        {
            return;
        }

        int grown = Math.Max(count, Math.Max(1024, Positions * 2));
        var rows = new float[(long)(grown - Positions) * 2 * Pairs];
        Parallel.For(Positions, grown, position =>
        {
            long row = (long)(position - Positions) * 2 * Pairs;
            for (int j = 0; j < Pairs; j++)
            {
                float angle = position * _invFreq[j];
                rows[row + (2 * j)] = (float)Math.Cos(angle);
                rows[row + (2 * j) + 1] = (float)Math.Sin(angle);
            }
        });

        var table = _accelerator.Allocate1D<float>((long)grown * 2 * Pairs);
        if (Positions > 0)
        {
            table.View.SubView(0, _table.Length).CopyFrom(_table.View);
        }

        table.View.SubView((long)Positions * 2 * Pairs, rows.Length).CopyFromCPU(rows);
        _table.Dispose();
        _table = table;
        Positions = grown;
    }

    /// <inheritdoc />
    public void Dispose() => _table.Dispose();
}
