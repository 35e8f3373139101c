namespace Memory.Kernels;

/// <summary>What <see cref="RansLaneDecodeKernel"/> found in a lane (written as an int per lane).</summary>
public enum RansLaneStatus
{
    /// <summary>Every symbol decoded and the stream ended in the encoder's initial state.</summary>
    Ok = 0,

    /// <summary>The stream ran out of bytes before its symbols did (or has no 4-byte state).</summary>
    Truncated = 1,

    /// <summary>A decoded grid value lies outside ±<see cref="KvQuantizeKernel.MaxMagnitude"/>.</summary>
    OutOfRange = 2,

    /// <summary>The symbols ended with bytes left over or a state other than the initial one.</summary>
    BadEnd = 3,

    /// <summary>The lane's descriptor is inconsistent (no lanes, a lane index out of range).</summary>
    BadLane = 4,
}
