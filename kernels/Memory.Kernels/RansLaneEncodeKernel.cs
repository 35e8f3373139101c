using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The entropy-coding half of the quantised KV encoder on a device: one thread rANS-codes one lane of a section from
/// the residual records of <see cref="KvResidualKernel.Residuals"/>, producing exactly the bytes of the host encoder
/// (QuantizedPlaneCoder.EncodeLane in Memory.KvCache, Giesen's byte-wise rANS with reciprocal division), and
/// <see cref="Gather"/> then packs the lanes' streams back to back. rANS codes backwards, so a lane writes its stream
/// downwards from the end of its own output region and stops with <see cref="Overflow"/> rather than write below the
/// region's start: a stream longer than its region is never written out of bounds, and the caller re-encodes that
/// section on the host.
/// <para>
/// A lane's symbols, last first: per residual the high chunk of raw bits (if any), the low chunk (if any), then its
/// token. Tokens use the host's encoder constants (the symbol table of <see cref="Run"/>); a chunk of n
/// uniform bits is a symbol of frequency 2^(12−n), for which the reciprocal division is an exact shift, so it is coded
/// in closed form with the same result.
/// </para>
/// </summary>
public static class RansLaneEncodeKernel
{
    /// <summary>A lane's length when its stream did not fit its region (nothing outside the region was written).</summary>
    public const int Overflow = -1;

    /// <summary>A lane's length when its descriptor is inconsistent (no lanes, a lane index or size out of range).</summary>
    public const int BadLane = -2;

    /// <summary>uints per token symbol in the encoder table.</summary>
    public const int SymbolWords = 4;

    /// <summary>Bytes of a stream's final state, written in front of its bytes.</summary>
    public const int StateBytes = 4;

    private const int ScaleBits = RansLaneDecodeKernel.ScaleBits;
    private const int ChunkBits = 8;

    /// <summary>
    /// One thread per lane. <paramref name="symbols"/> holds, for token t of class k at [(k · Tokens + t) · 4]: the
    /// renormalisation bound, the reciprocal, the bias, and the complement (low 16 bits) with the shift (high 16 bits).
    /// <paramref name="records"/> come from <see cref="KvResidualKernel.Residuals"/>; this kernel adds the first
    /// tokens' classes to them in place (a lane's first tokens chain one estimate through its channels), so it runs once
    /// per set of records. The lane's stream ends at Output + Capacity; its length (state included) goes to
    /// <paramref name="lengths"/>, or <see cref="Overflow"/> / <see cref="BadLane"/>.
    /// </summary>
    public static void Run(
        ArrayView<RansEncodeLane> lanes,
        ArrayView<int> records,
        ArrayView<int> estimates,
        ArrayView<byte> classTable,
        ArrayView<uint> symbols,
        ArrayView<byte> output,
        ArrayView<int> lengths)
    {
        int index = Grid.GlobalIndex.X;
        if (index < lanes.IntLength)
        {
            lengths[index] = EncodeLane(lanes[index], records, estimates, classTable, symbols, output);
        }
    }

    /// <summary>
    /// One group per lane: the group's threads copy the lane's stream (its last lengths[lane] bytes of its region) to
    /// <paramref name="packed"/> at offsets[lane], neighbouring threads neighbouring bytes. Lanes with a negative length
    /// are skipped.
    /// </summary>
    public static void Gather(ArrayView<RansEncodeLane> lanes, ArrayView<int> lengths, ArrayView<long> offsets, ArrayView<byte> output, ArrayView<byte> packed)
    {
        int lane = Grid.IdxX;
        int length = lengths[lane];
        long from = lanes[lane].Output + lanes[lane].Capacity - length;
        long to = offsets[lane];
        for (int i = Group.IdxX; i < length; i += Group.DimX)
        {
            packed[to + i] = output[from + i];
        }
    }

    /// <summary>The record of the lane's channel <paramref name="j"/> (channel Lane + j · Lanes) at token <paramref name="t"/>.</summary>
    private static long RecordAt(RansEncodeLane lane, int j, int t) => lane.Records + lane.Lane + ((long)j * lane.Lanes) + ((long)t * lane.Channels);

    private static int EncodeLane(RansEncodeLane lane, ArrayView<int> records, ArrayView<int> estimates, ArrayView<byte> classTable, ArrayView<uint> symbols, ArrayView<byte> output)
    {
        if (lane.Lanes < 1 || lane.Lane < 0 || lane.Lane >= lane.Lanes || lane.Tokens < 0 || lane.Channels < 0 || lane.Capacity < 0)
        {
            return BadLane;
        }

        // The first tokens' classes, forward through the lane's channels (the host's running first-token estimate).
        int first = estimates[2 * lane.Slice];
        for (int c = lane.Lane; c < lane.Channels && lane.Tokens > 0; c += lane.Lanes)
        {
            long at = lane.Records + c;
            int bare = records[at];
            records[at] = bare + ((classTable[first] * RansLaneDecodeKernel.Tokens) << KvResidualKernel.SymbolShift);
            first = KvGridPredictor.UpdateEstimate(first, ((bare & 0xFFFF) + 1) >> 1);
        }

        long floor = lane.Output;
        long p = lane.Output + lane.Capacity;
        uint x = RansLaneDecodeKernel.LowerBound;
        int width = lane.Channels > lane.Lane ? ((lane.Channels - lane.Lane - 1) / lane.Lanes) + 1 : 0;
        long residuals = (long)width * lane.Tokens;
        // Residuals last first: channel j of the lane (channel Lane + j · Lanes), token t. Each record is loaded one
        // residual ahead, so its memory latency overlaps the previous residual's arithmetic.
        int j = width - 1;
        int t = lane.Tokens - 1;
        int record = residuals > 0 ? records[RecordAt(lane, j, t)] : 0;
        for (long k = residuals - 1; k >= 0; k--)
        {
            int previousT = t > 0 ? t - 1 : lane.Tokens - 1;
            int previousJ = t > 0 ? j : j - 1;
            int next = k > 0 ? records[RecordAt(lane, previousJ, previousT)] : 0;
            uint u = (uint)record & 0xFFFFu;
            int raw = (record >> KvResidualKernel.RawShift) & 0xF;
            // Step 0 codes the high chunk of raw bits, step 1 the low chunk, step 2 the token: the host's entries backwards.
            for (int step = 0; step < 3; step++)
            {
                int count = step == 0 ? raw - ChunkBits : step == 1 ? Math.Min(raw, ChunkBits) : 0;
                if (step < 2 && count <= 0)
                {
                    continue;
                }

                uint max, reciprocal = 0, bias = 0, packed = 0;
                if (step == 2)
                {
                    int symbol = (record >> KvResidualKernel.SymbolShift) * SymbolWords;
                    max = symbols[symbol];
                    reciprocal = symbols[symbol + 1];
                    bias = symbols[symbol + 2];
                    packed = symbols[symbol + 3];
                }
                else
                {
                    max = 1u << (31 - count);
                }

                while (x >= max)
                {
                    if (p <= floor)
                    {
                        return Overflow;
                    }

                    p--;
                    output[p] = (byte)x;
                    x >>= 8;
                }

                if (step == 2)
                {
                    uint quotient = (uint)(((ulong)x * reciprocal) >> 32) >> (int)(packed >> 16);
                    x += bias + (quotient * (packed & 0xFFFFu));
                }
                else
                {
                    int shift = ScaleBits - count;
                    uint bits = (step == 0 ? u >> ChunkBits : u) & ((1u << count) - 1);
                    x = ((x >> shift) << ScaleBits) + (x & ((1u << shift) - 1)) + (bits << shift);
                }
            }

            record = next;
            t = previousT;
            j = previousJ;
        }

        if (p - floor < StateBytes)
        {
            return Overflow;
        }

        output[p - 4] = (byte)x;
        output[p - 3] = (byte)(x >> 8);
        output[p - 2] = (byte)(x >> 16);
        output[p - 1] = (byte)(x >> 24);
        return (int)(lane.Output + lane.Capacity - (p - 4));
    }
}
