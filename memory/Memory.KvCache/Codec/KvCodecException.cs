namespace Memory.KvCache.Codec;

/// <summary>
/// A stored KV block or bitstream that cannot be trusted. Callers treat the block as missing (recompute it) and never
/// hand any part of it to the decoder.
/// </summary>
public sealed class KvCodecException : Exception
{
    public KvCodecException()
        : this(KvCodecError.Malformed, "invalid KV bitstream")
    {
    }

    public KvCodecException(string message)
        : this(KvCodecError.Malformed, message)
    {
    }

    public KvCodecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = KvCodecError.Malformed;
    }

    public KvCodecException(KvCodecError error, string message)
        : base($"{error}: {message}")
    {
        Error = error;
    }

    public KvCodecError Error { get; }
}
