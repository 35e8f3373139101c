namespace Memory.KvCache.Codec;

/// <summary>Why a stored KV bitstream was rejected.</summary>
public enum KvCodecError
{
    /// <summary>The data ends before the structure it announces.</summary>
    Truncated,

    /// <summary>The data does not start with the format's magic bytes.</summary>
    BadMagic,

    /// <summary>Written by a newer (or unknown) version of the format.</summary>
    UnsupportedVersion,

    /// <summary>The checksum over the data does not match: bits changed after writing.</summary>
    ChecksumMismatch,

    /// <summary>Parsed, but a field is out of range or inconsistent with another.</summary>
    Malformed,
}
