using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// The entropy-decoding half of the quantised KV codec on a device: one thread decodes one rANS lane of a section
/// (the host twin is QuantizedPlaneCoder.DecodeLane in Memory.KvCache; the two must agree bit for bit). A lane holds
/// channels Lane, Lane + Lanes, … of one [tokens, channels] slice, each channel's tokens in order: per token a residual
/// token from the class its running estimate picks, then up to two chunks of uniform raw bits, added to the channel's
/// integer prediction. A batch of blocks has thousands of lanes, so one launch decodes all of them.
/// <para>
/// Corrupt input never escapes its lane: every byte read is bounded by the lane's length, every loop by its channel,
/// token and byte counts, every table index by construction of the tables (classes &lt; 32, slots &lt; 2^12,
/// estimates &lt; 2^16), and a bad lane stops at its first error with a <see cref="RansLaneStatus"/>.
/// </para>
/// </summary>
public static class RansLaneDecodeKernel
{
    /// <summary>Probability resolution of the residual models: frequencies sum to 2^ScaleBits.</summary>
    public const int ScaleBits = 12;

    /// <summary>rANS states are renormalised to [LowerBound, 2^31); a stream ends in LowerBound.</summary>
    public const uint LowerBound = 1u << 23;

    /// <summary>Residual tokens below this are the zigzagged residual itself; larger ones carry its bit length.</summary>
    public const int DirectTokens = 16;

    /// <summary>Longest zigzagged residual, in bits.</summary>
    public const int MaxBits = 16;

    /// <summary>Tokens of each residual class: the direct ones and one per bit length 5..<see cref="MaxBits"/>.</summary>
    public const int Tokens = DirectTokens + (MaxBits - 4);

    /// <summary>Raw bits per uniform chunk at most.</summary>
    private const int ChunkBits = 8;

    private const uint SlotMask = (1u << ScaleBits) - 1;

    /// <summary>
    /// One thread per lane, in small groups (few lanes per group spreads a batch over every multiprocessor). Tables: <paramref name="frequencies"/> and <paramref name="starts"/> of token t in class k
    /// at [k · Tokens + t], <paramref name="slotTokens"/> the token of slot x in class k at [k · 2^ScaleBits + x],
    /// <paramref name="classTable"/> the class of each estimate 0..65535. Grid values go to <paramref name="q"/> at
    /// Output + t · Channels + c; the lane's <see cref="RansLaneStatus"/> to <paramref name="status"/>.
    /// </summary>
    public static void Run(
        ArrayView<byte> data,
        ArrayView<RansLane> lanes,
        ArrayView<ushort> frequencies,
        ArrayView<ushort> starts,
        ArrayView<byte> slotTokens,
        ArrayView<byte> classTable,
        ArrayView<short> q,
        ArrayView<int> status)
    {
        int index = Grid.GlobalIndex.X;
        if (index < lanes.IntLength)
        {
            status[index] = (int)DecodeLane(lanes[index], data, frequencies, starts, slotTokens, classTable, q);
        }
    }

    private static RansLaneStatus DecodeLane(
        RansLane lane,
        ArrayView<byte> data,
        ArrayView<ushort> frequencies,
        ArrayView<ushort> starts,
        ArrayView<byte> slotTokens,
        ArrayView<byte> classTable,
        ArrayView<short> q)
    {
        if (lane.Lanes < 1 || lane.Lane < 0 || lane.Lane >= lane.Lanes || lane.Tokens < 0 || lane.Channels < 0)
        {
            return RansLaneStatus.BadLane;
        }

        int length = lane.Length;
        if (length < 4)
        {
            return RansLaneStatus.Truncated;
        }

        long bytes = lane.Start;
        uint x = data[bytes] | ((uint)data[bytes + 1] << 8) | ((uint)data[bytes + 2] << 16) | ((uint)data[bytes + 3] << 24);
        int p = 4;
        int first = lane.FirstEstimate;
        for (int c = lane.Lane; c < lane.Channels; c += lane.Lanes)
        {
            int mode = (data[lane.Predictors + (c >> 2)] >> (2 * (c & 3))) & 3;
            int running = lane.Estimate;
            int mean = 0;
            int previous = 0;
            long column = lane.Output + c;
            for (int t = 0; t < lane.Tokens; t++)
            {
                // Step 0 decodes the residual token, steps 1 and 2 the raw bits below a large residual's leading one
                // (low chunk first), each followed by the same renormalisation, in the host decoder's order.
                uint u = 0;
                int raw = 0;
                for (int step = 0; step < 3; step++)
                {
                    uint slot = x & SlotMask;
                    if (step == 0)
                    {
                        int cls = classTable[t == 0 ? first : running];
                        int token = slotTokens[(cls << ScaleBits) + (int)slot];
                        int symbol = (cls * Tokens) + token;
                        x = (frequencies[symbol] * (x >> ScaleBits)) + slot - starts[symbol];
                        raw = token >= DirectTokens ? token - DirectTokens + 4 : 0;
                        u = raw > 0 ? 1u << raw : (uint)token;
                    }
                    else
                    {
                        int count = step == 1 ? Math.Min(raw, ChunkBits) : raw - ChunkBits;
                        int shift = ScaleBits - count;
                        x = ((x >> ScaleBits) << shift) + (slot & ((1u << shift) - 1));
                        u |= (slot >> shift) << (ChunkBits * (step - 1));
                    }

                    while (x < LowerBound && p < length)
                    {
                        x = (x << 8) | data[bytes + p];
                        p++;
                    }

                    if (x < LowerBound)
                    {
                        return RansLaneStatus.Truncated;
                    }

                    if (raw <= ChunkBits * step)
                    {
                        break;
                    }
                }

                int s = (int)(u >> 1) ^ -(int)(u & 1);
                int value = KvGridPredictor.Prediction(mode, t, previous, mean) + s;
                if ((uint)(value + KvQuantizeKernel.MaxMagnitude) > 2 * KvQuantizeKernel.MaxMagnitude)
                {
                    return RansLaneStatus.OutOfRange;
                }

                q[column + ((long)t * lane.Channels)] = (short)value;
                mean = KvGridPredictor.UpdateMean(mean, value, t);
                previous = value;
                int magnitude = s < 0 ? -s : s;
                if (t == 0)
                {
                    first = KvGridPredictor.UpdateEstimate(first, magnitude);
                }
                else
                {
                    running = KvGridPredictor.UpdateEstimate(running, magnitude);
                }
            }
        }

        return x == LowerBound && p == length ? RansLaneStatus.Ok : RansLaneStatus.BadEnd;
    }
}
