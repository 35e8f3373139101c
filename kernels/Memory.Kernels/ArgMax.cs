namespace Memory.Kernels;

/// <summary>A maximal value and its index; among equal values the lowest index wins, so results do not depend on order.</summary>
public readonly struct ArgMax(float value, int index)
{
    public float Value { get; } = value;

    public int Index { get; } = index;

    /// <summary>No candidate yet (−∞ at no index).</summary>
    public static ArgMax None => new(float.NegativeInfinity, int.MaxValue);

    /// <summary>The better of this and (<paramref name="value"/>, <paramref name="index"/>); NaN never wins.</summary>
    public ArgMax With(float value, int index) =>
        value > Value || (value == Value && index < Index) ? new ArgMax(value, index) : this;
}
