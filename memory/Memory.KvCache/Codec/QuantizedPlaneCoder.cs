using System.Buffers.Binary;

namespace Memory.KvCache.Codec;

/// <summary>
/// Entropy coding of one quantised [tokens, channels] plane (one layer's keys or values of one block): integers
/// q = round(x / step) on one uniform grid. Each channel predicts q from its own earlier tokens with one of three
/// integer predictors chosen by the encoder (none, the previous token, the running mean), so prediction is exact
/// on every device; the residuals are rANS-coded with <see cref="ResidualModels"/>, the class of each residual
/// picked from a running estimate of its channel's magnitudes. The channels are dealt to independent lanes
/// (channel c to lane c mod lanes), each its own rANS stream, so a decoder can run lanes in parallel.
/// <code>
/// u8 kind (1) · u16 step (bfloat16) · u8 lanes · predictors (2 bits a channel) · u16 first-token estimate ·
/// u16 estimate · lanes × LEB128 lane length · lane streams (u32 state, then renormalisation bytes)
/// </code>
/// </summary>
internal static class QuantizedPlaneCoder
{
    public const byte Kind = 1;
    public const int MaxMagnitude = 16383;
    public const int MaxLanes = 16;
    private const int SymbolsPerLane = 4096;
    private const uint LowerBound = 1u << 23;
    private const int Scale = ResidualModels.ScaleBits;
    private const uint SlotMask = ResidualModels.Total - 1;

    private const byte PredictZero = 0;
    private const byte PredictPrevious = 1;
    private const byte PredictMean = 2;

    /// <summary>Codes <paramref name="q"/> ([tokens, channels], every |q| ≤ <see cref="MaxMagnitude"/>) with its grid step.</summary>
    public static byte[] Encode(ReadOnlySpan<short> q, int tokens, int channels, ushort stepBits)
    {
        int lanes = LaneCount(tokens, channels);
        var modes = ChoosePredictors(q, tokens, channels);
        InitialEstimates(q, modes, tokens, channels, out int firstEstimate, out int estimate);
        var payloads = new byte[lanes][];
        for (int lane = 0; lane < lanes; lane++)
        {
            payloads[lane] = EncodeLane(q, modes, tokens, channels, lane, lanes, firstEstimate, estimate);
        }

        var writer = new BitstreamWriter(payloads.Sum(p => p.Length + 5) + (channels / 4) + 16);
        writer.U8(Kind);
        writer.U16(stepBits);
        writer.U8((byte)lanes);
        var packed = writer.Reserve((channels + 3) / 4);
        packed.Clear();
        for (int c = 0; c < channels; c++)
        {
            packed[c / 4] |= (byte)(modes[c] << (2 * (c % 4)));
        }

        writer.U16((ushort)firstEstimate);
        writer.U16((ushort)estimate);
        foreach (var payload in payloads)
        {
            writer.VarUInt((uint)payload.Length);
        }

        foreach (var payload in payloads)
        {
            writer.Bytes(payload);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a section into <paramref name="q"/> ([tokens, channels]) and returns its grid step.</summary>
    public static float Decode(ReadOnlySpan<byte> section, int tokens, int channels, Span<short> q)
    {
        var reader = new BitstreamReader(section);
        if (reader.U8("section kind") != Kind)
        {
            throw new KvCodecException(KvCodecError.Malformed, "a quantised block holds a section of another kind");
        }

        float step = BitConverter.UInt32BitsToSingle((uint)reader.U16("step") << 16);
        if (!float.IsFinite(step) || !(step > 0))
        {
            throw new KvCodecException(KvCodecError.Malformed, $"quantiser step {step} is not a finite positive number");
        }

        int lanes = reader.U8("lanes");
        if (lanes < 1 || lanes > MaxLanes || lanes > channels)
        {
            throw new KvCodecException(KvCodecError.Malformed, $"{lanes} lanes for {channels} channels");
        }

        var packed = reader.Take((channels + 3) / 4, "predictors");
        var modes = new byte[channels];
        for (int c = 0; c < channels; c++)
        {
            modes[c] = (byte)((packed[c / 4] >> (2 * (c % 4))) & 3);
            if (modes[c] > PredictMean)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"predictor {modes[c]} of channel {c} is unknown");
            }
        }

        int firstEstimate = reader.U16("first-token estimate");
        int estimate = reader.U16("estimate");
        Span<int> lengths = stackalloc int[lanes];
        long total = 0;
        for (int lane = 0; lane < lanes; lane++)
        {
            lengths[lane] = reader.VarLength("lane length", reader.Remaining);
            total += lengths[lane];
        }

        if (total != reader.Remaining)
        {
            throw new KvCodecException(total > reader.Remaining ? KvCodecError.Truncated : KvCodecError.Malformed, $"lanes of {total} bytes in a section with {reader.Remaining} left");
        }

        for (int lane = 0; lane < lanes; lane++)
        {
            DecodeLane(reader.Take(lengths[lane], "lane"), modes, tokens, channels, lane, lanes, firstEstimate, estimate, q);
        }

        return step;
    }

    /// <summary>Lanes for a plane: enough symbols in each that its 4-byte final state and length stay negligible.</summary>
    public static int LaneCount(int tokens, int channels) => Math.Clamp(tokens * channels / SymbolsPerLane, 1, Math.Min(MaxLanes, channels));

    private static byte[] ChoosePredictors(ReadOnlySpan<short> q, int tokens, int channels)
    {
        var modes = new byte[channels];
        for (int c = 0; c < channels; c++)
        {
            long zero = 0, previous = 0, mean = 0, sum = q[c];
            for (int t = 1; t < tokens; t++)
            {
                int value = q[(t * channels) + c];
                zero += Math.Abs(value);
                previous += Math.Abs(value - q[((t - 1) * channels) + c]);
                mean += Math.Abs(value - MeanPrediction(sum, t));
                sum += value;
            }

            modes[c] = previous < zero && previous <= mean ? PredictPrevious : mean < zero ? PredictMean : PredictZero;
        }

        return modes;
    }

    private static void InitialEstimates(ReadOnlySpan<short> q, byte[] modes, int tokens, int channels, out int firstEstimate, out int estimate)
    {
        long first = 0, rest = 0;
        for (int c = 0; c < channels; c++)
        {
            first += Math.Abs((int)q[c]);
            long sum = q[c];
            for (int t = 1; t < tokens; t++)
            {
                int value = q[(t * channels) + c];
                rest += Math.Abs(value - Prediction(modes[c], t, q[((t - 1) * channels) + c], sum));
                sum += value;
            }
        }

        firstEstimate = (int)Math.Min(ResidualModels.EstimateCap, first * 16 / channels);
        estimate = tokens > 1 ? (int)Math.Min(ResidualModels.EstimateCap, rest * 16 / ((long)(tokens - 1) * channels)) : 0;
    }

    private static int Prediction(byte mode, int t, int previous, long sum) => t == 0 ? 0 : mode switch
    {
        PredictPrevious => previous,
        PredictMean => MeanPrediction(sum, t),
        _ => 0,
    };

    /// <summary>round(sum / count), halves away from minus infinity, in integers.</summary>
    private static int MeanPrediction(long sum, int count)
    {
        long n = (2 * sum) + count;
        long d = 2L * count;
        long quotient = n / d;
        return (int)(n % d != 0 && n < 0 ? quotient - 1 : quotient);
    }

    private static byte[] EncodeLane(ReadOnlySpan<short> q, byte[] modes, int tokens, int channels, int lane, int lanes, int firstEstimate, int estimate)
    {
        int width = ((channels - lane - 1) / lanes) + 1;
        var estimates = new int[width];
        var sums = new long[width];
        Array.Fill(estimates, estimate);
        long symbols = (long)tokens * width;
        var entries = new uint[symbols * 3];
        int count = 0;
        int first = firstEstimate;
        for (int t = 0; t < tokens; t++)
        {
            int row = t * channels;
            for (int i = 0, c = lane; i < width; i++, c += lanes)
            {
                int value = q[row + c];
                int pred = 0;
                if (t > 0)
                {
                    pred = modes[c] switch
                    {
                        PredictPrevious => q[row - channels + c],
                        PredictMean => MeanPrediction(sums[i], t),
                        _ => 0,
                    };
                }

                sums[i] += value;
                int s = value - pred;
                uint u = (uint)((s << 1) ^ (s >> 31));
                int cls;
                if (t == 0)
                {
                    cls = ResidualModels.ClassOf(first);
                    first = ResidualModels.Update(first, Math.Abs(s));
                }
                else
                {
                    cls = ResidualModels.ClassOf(estimates[i]);
                    estimates[i] = ResidualModels.Update(estimates[i], Math.Abs(s));
                }

                int token = u < ResidualModels.DirectTokens ? (int)u : ResidualModels.TokenOfBits(32 - System.Numerics.BitOperations.LeadingZeroCount(u));
                int index = (cls * ResidualModels.Tokens) + token;
                entries[count++] = ResidualModels.Starts[index] | ((uint)ResidualModels.Frequencies[index] << 16);
                if (token >= ResidualModels.DirectTokens)
                {
                    int raw = ResidualModels.BitsOfToken(token) - 1;
                    uint bits = u & ((1u << raw) - 1);
                    int low = Math.Min(raw, 8);
                    entries[count++] = Uniform(bits & ((1u << low) - 1), low);
                    if (raw > 8)
                    {
                        entries[count++] = Uniform(bits >> 8, raw - 8);
                    }
                }
            }
        }

        var buffer = new byte[(count * 2) + 8];
        int p = buffer.Length;
        uint x = LowerBound;
        for (int e = count - 1; e >= 0; e--)
        {
            uint start = entries[e] & 0xFFFF;
            uint frequency = entries[e] >> 16;
            uint max = ((LowerBound >> Scale) << 8) * frequency;
            while (x >= max)
            {
                buffer[--p] = (byte)x;
                x >>= 8;
            }

            x = ((x / frequency) << Scale) + (x % frequency) + start;
        }

        p -= 4;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(p), x);
        return buffer.AsSpan(p).ToArray();
    }

    private static uint Uniform(uint bits, int count)
    {
        int shift = Scale - count;
        return (bits << shift) | (1u << (16 + shift));
    }

    private static void DecodeLane(ReadOnlySpan<byte> data, byte[] modes, int tokens, int channels, int lane, int lanes, int firstEstimate, int estimate, Span<short> q)
    {
        if (data.Length < 4)
        {
            throw new KvCodecException(KvCodecError.Truncated, $"lane of {data.Length} bytes has no rANS state");
        }

        int width = ((channels - lane - 1) / lanes) + 1;
        var estimates = new int[width];
        var sums = new long[width];
        Array.Fill(estimates, estimate);
        var frequencies = ResidualModels.Frequencies;
        var starts = ResidualModels.Starts;
        var slots = ResidualModels.SlotTokens;
        uint x = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int p = 4;
        int first = firstEstimate;
        for (int t = 0; t < tokens; t++)
        {
            int row = t * channels;
            for (int i = 0, c = lane; i < width; i++, c += lanes)
            {
                int cls = ResidualModels.ClassOf(t == 0 ? first : estimates[i]);
                uint slot = x & SlotMask;
                int token = slots[(cls << Scale) + (int)slot];
                int index = (cls * ResidualModels.Tokens) + token;
                x = (frequencies[index] * (x >> Scale)) + slot - starts[index];
                while (x < LowerBound)
                {
                    if (p >= data.Length)
                    {
                        throw new KvCodecException(KvCodecError.Truncated, $"lane ended at token {t} of {tokens}");
                    }

                    x = (x << 8) | data[p++];
                }

                uint u = (uint)token;
                if (token >= ResidualModels.DirectTokens)
                {
                    int raw = ResidualModels.BitsOfToken(token) - 1;
                    int low = Math.Min(raw, 8);
                    uint bits = ReadUniform(ref x, low, data, ref p);
                    if (raw > 8)
                    {
                        bits |= ReadUniform(ref x, raw - 8, data, ref p) << 8;
                    }

                    u = (1u << raw) | bits;
                }

                int s = (int)(u >> 1) ^ -(int)(u & 1);
                int pred = 0;
                if (t > 0)
                {
                    pred = modes[c] switch
                    {
                        PredictPrevious => q[row - channels + c],
                        PredictMean => MeanPrediction(sums[i], t),
                        _ => 0,
                    };
                }

                int value = pred + s;
                if (value is < -MaxMagnitude or > MaxMagnitude)
                {
                    throw new KvCodecException(KvCodecError.Malformed, $"quantised value {value} at token {t}, channel {c} is out of range");
                }

                q[row + c] = (short)value;
                sums[i] += value;
                if (t == 0)
                {
                    first = ResidualModels.Update(first, Math.Abs(s));
                }
                else
                {
                    estimates[i] = ResidualModels.Update(estimates[i], Math.Abs(s));
                }
            }
        }

        if (x != LowerBound || p != data.Length)
        {
            throw new KvCodecException(KvCodecError.Malformed, "lane does not end where its symbols do");
        }
    }

    private static uint ReadUniform(ref uint x, int count, ReadOnlySpan<byte> data, ref int p)
    {
        int shift = Scale - count;
        uint slot = x & SlotMask;
        uint bits = slot >> shift;
        x = ((x >> Scale) << shift) + (slot & ((1u << shift) - 1));
        while (x < LowerBound)
        {
            if (p >= data.Length)
            {
                throw new KvCodecException(KvCodecError.Truncated, "lane ended inside a residual's bits");
            }

            x = (x << 8) | data[p++];
        }

        return bits;
    }
}
