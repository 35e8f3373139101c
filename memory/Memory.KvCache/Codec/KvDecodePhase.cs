namespace Memory.KvCache.Codec;

/// <summary>The stages of decoding stored blocks that <see cref="KvDecodeProfile"/> times.</summary>
public enum KvDecodePhase
{
    /// <summary>Stored-block envelopes: their checksums, key-chain checks and bitstream copies.</summary>
    Envelope,

    /// <summary>Bitstream headers (each a checksum over its stream), section tables and the result arrays.</summary>
    Headers,

    /// <summary>Sections decoded on the host (lossless ones, or every one without a GPU codec).</summary>
    HostSections,

    /// <summary>On a GPU codec: parsing every section's front into lanes and filling the page-locked input staging.</summary>
    Prepare,

    /// <summary>On a GPU codec: the upload, the rANS and dequantise kernels and the lanes' status coming back.</summary>
    Device,

    /// <summary>On a GPU codec: the decoded fp16 coming back into page-locked staging.</summary>
    Download,

    /// <summary>On a GPU codec: copying the staged fp16 into each block's own arrays.</summary>
    CopyOut,
}
