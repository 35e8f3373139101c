namespace Memory.Cli.KvBench;

/// <summary>The JSON object <c>memory bench kv</c> prints last.</summary>
internal sealed record KvBenchReport(
    string Device,
    string Model,
    int BlockSize,
    int Layers,
    int KvDim,
    KvPerplexityRun? Perplexity,
    IReadOnlyList<KvLevelResult> Levels,
    KvTtftResult? TimeToFirstToken,
    KvCodecThroughputBatch? CodecThroughputBatch);

/// <summary>
/// The batch the levels' EncodeGBps and DecodeGBps were timed on (fp16 bytes of keys and values over seconds), where the
/// quantised levels were coded (<c>device</c>: quantise, predict and rANS on the codec's accelerator; <c>host</c>: CPU
/// threads), and how many quantised sections the device encoder handed back to the host encoder during the throughput
/// calls (a lane longer than fp16; those sections were coded on the CPU inside the timed calls), and how many staging
/// arrays of the process CUDA refused to page-lock by the end of the run (their copies ran pageable).
/// </summary>
internal sealed record KvCodecThroughputBatch(int Blocks, int DistinctBlocks, long Fp16Bytes, int TimedCalls, string Timing, string QuantizedCoding, long HostEncodedSections, long PageableStagingArrays);

/// <summary>Perplexity on held-out text: exact KV for the whole window, against KV of the window's first half passed through a codec level.</summary>
internal sealed record KvPerplexityRun(string Text, int Windows, int WindowTokens, int ContextTokens, int ScoredTokens, double ExactPerplexity);

/// <summary>One codec level (or the 8-bit peer): size, error, throughput, and perplexity with its KV.</summary>
internal sealed record KvLevelResult(
    string Level,
    double BitsPerElement,
    double RatioVsFp16,
    double RatioVsInt8,
    double RelativeRmsError,
    double MaxAbsError,
    double? EncodeGBps,
    double? DecodeGBps,
    double Perplexity,
    double PerplexityIncreasePercent);

/// <summary>Time to the first token of a prompt: recomputed, its prefix from host memory, from compressed disk.</summary>
internal sealed record KvTtftResult(
    int ContextTokens,
    int CachedTokens,
    int Repeats,
    double RecomputeMs,
    double HostMs,
    IReadOnlyList<KvDiskTtft> Disk,
    double HostSpeedup,
    KvTtftPhases HostPhases);

/// <summary>
/// TTFT with the prefix read from the disk tier at one codec level (page cache dropped first when possible); the
/// lookup's own split (medians) from the store's <see cref="Memory.KvCache.KvLowerTierReads"/>.
/// </summary>
internal sealed record KvDiskTtft(string Level, double Ms, double Speedup, bool PageCacheDropped, long BytesOnDisk, KvTtftPhases Phases, KvLookupPhases LookupPhases);

/// <summary>
/// A disk lookup's time (medians over the runs): reading the block files, the decoding waited for once they were read
/// (checksums and codec; batches decode while later ones are read), verifying and admitting them; then the decode work
/// itself, hidden or not, in all and by <see cref="Memory.KvCache.Codec.KvDecodePhase"/>.
/// </summary>
internal sealed record KvLookupPhases(double ReadMs, double DecodeMs, double AdoptMs, double DecodeWorkMs, IReadOnlyDictionary<string, double> DecodePhasesMs);

/// <summary>Where a time to first token went (medians): finding the cached prefix (reading and decoding blocks from a lower tier included), copying it into the decoder, prefilling the rest.</summary>
internal sealed record KvTtftPhases(double LookupMs, double ImportMs, double PrefillMs);
