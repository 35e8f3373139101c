using System.Runtime.Intrinsics;
using Memory.Kernels;

namespace Memory.KvCache.Codec;

/// <summary>
/// Entropy coding of one quantised [tokens, channels] plane (one layer's keys or values of one block): integers
/// q = round(x / step) on one uniform grid. Each channel predicts q from its own earlier tokens with one of three
/// integer predictors chosen by the encoder (none; the previous token; a running mean, a fixed-point moving average
/// that starts as the plain mean), so prediction is exact on every device. The residuals are rANS-coded with
/// <see cref="ResidualModels"/>, each residual's class picked from a running estimate of its channel's magnitudes
/// (first tokens: of the lane's previous first tokens). The channels are dealt to independent lanes (channel c to
/// lane c mod lanes, each channel's tokens in order), each its own rANS stream, so a decoder can run lanes in parallel.
/// <code>
/// u8 kind (1) · u16 step (bfloat16) · u8 lanes · predictors (2 bits a channel, low bits first) ·
/// u16 first-token estimate · u16 estimate · lanes × LEB128 lane length · lane streams (u32 state, then bytes)
/// </code>
/// </summary>
internal static class QuantizedPlaneCoder
{
    public const byte Kind = 1;
    public const int MaxMagnitude = KvQuantizeKernel.MaxMagnitude;
    public const int MaxLanes = 16;
    private const int SymbolsPerLane = 4096;

    private const byte PredictZero = KvGridPredictor.PredictZero;
    private const byte PredictPrevious = KvGridPredictor.PredictPrevious;
    private const byte PredictMean = KvGridPredictor.PredictMean;

    /// <summary>Codes <paramref name="q"/> ([tokens, channels], every |q| ≤ <see cref="MaxMagnitude"/>) with its grid step.</summary>
    public static byte[] Encode(ReadOnlySpan<short> q, int tokens, int channels, ushort stepBits)
    {
        int lanes = LaneCount(tokens, channels);
        var modes = ChoosePredictors(q, tokens, channels, out int firstEstimate, out int estimate);
        var payloads = new byte[lanes][];
        for (int lane = 0; lane < lanes; lane++)
        {
            payloads[lane] = EncodeLane(q, modes, tokens, channels, lane, lanes, firstEstimate, estimate);
        }

        var writer = new BitstreamWriter(payloads.Sum(p => p.Length + 5) + (channels / 4) + 16);
        WriteFront(writer, stepBits, modes, firstEstimate, estimate, payloads.Select(p => p.Length).ToArray());
        foreach (var payload in payloads)
        {
            writer.Bytes(payload);
        }

        return writer.ToArray();
    }

    /// <summary>
    /// Everything in front of a section's lane streams: kind, step, lanes, packed predictors (<paramref name="modes"/>, one
    /// a channel), initial estimates, lane lengths (the host and device encoders share it).
    /// </summary>
    public static void WriteFront(BitstreamWriter writer, ushort stepBits, ReadOnlySpan<byte> modes, int firstEstimate, int estimate, ReadOnlySpan<int> laneLengths)
    {
        writer.U8(Kind);
        writer.U16(stepBits);
        writer.U8((byte)laneLengths.Length);
        var packed = writer.Reserve((modes.Length + 3) / 4);
        packed.Clear();
        for (int c = 0; c < modes.Length; c++)
        {
            packed[c / 4] |= (byte)(modes[c] << (2 * (c % 4)));
        }

        writer.U16((ushort)firstEstimate);
        writer.U16((ushort)estimate);
        foreach (int length in laneLengths)
        {
            writer.VarUInt((uint)length);
        }
    }

    /// <summary>Decodes a section into <paramref name="q"/> ([tokens, channels]) and returns its grid step.</summary>
    public static float Decode(ReadOnlySpan<byte> section, int tokens, int channels, Span<short> q)
    {
        var layout = Parse(section, channels);
        var packed = section.Slice(layout.Predictors, (channels + 3) / 4);
        var modes = new byte[channels];
        for (int c = 0; c < channels; c++)
        {
            modes[c] = (byte)((packed[c / 4] >> (2 * (c % 4))) & 3);
        }

        for (int lane = 0; lane < layout.Lanes; lane++)
        {
            DecodeLane(section.Slice(layout.LaneStarts[lane], layout.LaneLengths[lane]), modes, tokens, channels, lane, layout.Lanes, layout.FirstEstimate, layout.Estimate, q);
        }

        return layout.Step;
    }

    /// <summary>Checks and parses everything in front of a section's lane streams (host and device decoders share it).</summary>
    public static QuantizedSectionLayout Parse(ReadOnlySpan<byte> section, int channels)
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

        int predictors = reader.Position;
        var packed = reader.Take((channels + 3) / 4, "predictors");
        for (int c = 0; c < channels; c++)
        {
            int mode = (packed[c / 4] >> (2 * (c % 4))) & 3;
            if (mode > PredictMean)
            {
                throw new KvCodecException(KvCodecError.Malformed, $"predictor {mode} of channel {c} is unknown");
            }
        }

        if ((channels & 3) != 0 && (packed[^1] >> (2 * (channels & 3))) != 0)
        {
            throw new KvCodecException(KvCodecError.Malformed, "padding bits after the last predictor are set");
        }

        int firstEstimate = reader.U16("first-token estimate");
        int estimate = reader.U16("estimate");
        var lengths = new int[lanes];
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

        var starts = new int[lanes];
        int position = reader.Position;
        for (int lane = 0; lane < lanes; lane++)
        {
            starts[lane] = position;
            position += lengths[lane];
        }

        return new QuantizedSectionLayout(step, lanes, predictors, firstEstimate, estimate, starts, lengths);
    }

    /// <summary>Lanes for a plane: enough symbols in each that its 4-byte final state and length stay negligible.</summary>
    public static int LaneCount(int tokens, int channels) => Math.Clamp(tokens * channels / SymbolsPerLane, 1, Math.Min(MaxLanes, channels));

    private static int UpdateMean(int mean, int value, int t) => KvGridPredictor.UpdateMean(mean, value, t);

    private static int MeanShift(int t) => KvGridPredictor.MeanShift(t);

    private static int MeanPrediction(int mean) => KvGridPredictor.MeanPrediction(mean);

    /// <summary>The value a channel's predictor expects at token <paramref name="t"/>: one definition for encoder, decoder and the device decoder.</summary>
    private static int Prediction(byte mode, int t, int previous, int mean) => KvGridPredictor.Prediction(mode, t, previous, mean);

    /// <summary>Per channel the predictor with the smallest sum of |residual|; the initial estimates from those sums.</summary>
    private static byte[] ChoosePredictors(ReadOnlySpan<short> q, int tokens, int channels, out int firstEstimate, out int estimate)
    {
        // Row by row, eight channels at a time. A sum of |residual| is at most 65535 tokens × 32766 < 2^32, so unsigned
        // 32-bit sums cannot overflow; the running means are the scalar fixed-point ones, updated lane-wise.
        var zero = new uint[channels];
        var previous = new uint[channels];
        var mean = new uint[channels];
        var means = new int[channels];
        long first = 0;
        for (int c = 0; c < channels; c++)
        {
            first += Math.Abs((int)q[c]);
            means[c] = UpdateMean(0, q[c], 0);
        }

        var rounding = Vector256.Create(128);
        for (int t = 1; t < tokens; t++)
        {
            var row = q.Slice(t * channels, channels);
            var above = q.Slice((t - 1) * channels, channels);
            int shift = MeanShift(t);
            int c = 0;
            for (; c + Vector256<int>.Count <= channels; c += Vector256<int>.Count)
            {
                var value = Widen(row.Slice(c));
                var running = Vector256.Create<int>(means.AsSpan(c));
                var prediction = (running + rounding) >> 8;
                (Vector256.Create<uint>(zero.AsSpan(c)) + Vector256.Abs(value).AsUInt32()).CopyTo(zero.AsSpan(c));
                (Vector256.Create<uint>(previous.AsSpan(c)) + Vector256.Abs(value - Widen(above.Slice(c))).AsUInt32()).CopyTo(previous.AsSpan(c));
                (Vector256.Create<uint>(mean.AsSpan(c)) + Vector256.Abs(value - prediction).AsUInt32()).CopyTo(mean.AsSpan(c));
                (running + (((value << 8) - running) >> shift)).CopyTo(means.AsSpan(c));
            }

            for (; c < channels; c++)
            {
                int value = row[c];
                zero[c] += (uint)Math.Abs(value);
                previous[c] += (uint)Math.Abs(value - above[c]);
                mean[c] += (uint)Math.Abs(value - MeanPrediction(means[c]));
                means[c] = UpdateMean(means[c], value, t);
            }
        }

        var modes = new byte[channels];
        long rest = 0;
        for (int c = 0; c < channels; c++)
        {
            modes[c] = previous[c] < zero[c] && previous[c] <= mean[c] ? PredictPrevious : mean[c] < zero[c] ? PredictMean : PredictZero;
            rest += modes[c] switch { PredictPrevious => previous[c], PredictMean => mean[c], _ => zero[c] };
        }

        firstEstimate = (int)Math.Min(ResidualModels.EstimateCap, first * 16 / channels);
        estimate = tokens > 1 ? (int)Math.Min(ResidualModels.EstimateCap, rest * 16 / ((long)(tokens - 1) * channels)) : 0;
        return modes;
    }

    /// <summary>Eight grid values widened to 32 bits.</summary>
    private static Vector256<int> Widen(ReadOnlySpan<short> values) => Vector256.WidenLower(Vector128.Create<short>(values).ToVector256Unsafe());

    private static unsafe byte[] EncodeLane(ReadOnlySpan<short> q, byte[] modes, int tokens, int channels, int lane, int lanes, int firstEstimate, int estimate)
    {
        int width = ((channels - lane - 1) / lanes) + 1;
        // Forward pass: each residual's class depends on what came before; entries index ResidualModels.EncSymbols.
        var entries = GC.AllocateUninitializedArray<int>(tokens * width * 3);
        int count = 0;
        int first = firstEstimate;
        var buffer = GC.AllocateUninitializedArray<byte>((entries.Length * 2) + 8);
        int p = buffer.Length;
        uint x = Rans.LowerBound;
        fixed (short* input = q)
        fixed (int* entry = entries)
        fixed (byte* classes = ResidualModels.ClassTable)
        fixed (Rans.EncSymbol* symbols = ResidualModels.EncSymbols)
        fixed (byte* output = buffer)
        {
            for (int c = lane; c < channels; c += lanes)
            {
                byte mode = modes[c];
                int running = estimate, mean = 0, previous = 0;
                short* column = input + c;
                for (int t = 0; t < tokens; t++)
                {
                    int value = column[t * channels];
                    int pred = Prediction(mode, t, previous, mean);
                    mean = UpdateMean(mean, value, t);
                    previous = value;
                    int s = value - pred;
                    uint u = (uint)((s << 1) ^ (s >> 31));
                    int magnitude = s < 0 ? -s : s;
                    int cls;
                    if (t == 0)
                    {
                        cls = classes[first];
                        first = ResidualModels.Update(first, magnitude);
                    }
                    else
                    {
                        cls = classes[running];
                        running = ResidualModels.Update(running, magnitude);
                    }

                    // Branch-free: the token, then up to two chunks of the bits below the leading one, each chunk's
                    // entry written always but counted only when the residual has those bits (small ones have none).
                    int bits = 32 - System.Numerics.BitOperations.LeadingZeroCount(u);
                    bool large = u >= ResidualModels.DirectTokens;
                    int raw = bits - 1;
                    int low = Math.Min(raw, 8);
                    int high = raw - 8;
                    entry[count] = (cls * ResidualModels.Tokens) + (large ? ResidualModels.TokenOfBits(bits) : (int)u);
                    count++;
                    entry[count] = large ? ResidualModels.UniformSymbol(u & ((1u << low) - 1), low) : 0;
                    count += large ? 1 : 0;
                    entry[count] = high > 0 ? ResidualModels.UniformSymbol((u >> 8) & ((1u << high) - 1), high) : 0;
                    count += large && high > 0 ? 1 : 0;
                }
            }

            for (int e = count - 1; e >= 0; e--)
            {
                Rans.EncSymbol* symbol = symbols + entry[e];
                while (x >= symbol->Max)
                {
                    output[--p] = (byte)x;
                    x >>= 8;
                }

                uint quotient = (uint)(((ulong)x * symbol->Reciprocal) >> 32) >> symbol->Shift;
                x += symbol->Bias + (quotient * symbol->Complement);
            }
        }

        return Rans.Finish(x, buffer, p);
    }

    private static unsafe void DecodeLane(ReadOnlySpan<byte> data, byte[] modes, int tokens, int channels, int lane, int lanes, int firstEstimate, int estimate, Span<short> q)
    {
        uint x = Rans.Start(data, out int p);
        int first = firstEstimate;
        int length = data.Length;
        fixed (byte* bytes = data)
        fixed (ushort* frequencies = ResidualModels.Frequencies)
        fixed (ushort* starts = ResidualModels.Starts)
        fixed (byte* slots = ResidualModels.SlotTokens)
        fixed (byte* classes = ResidualModels.ClassTable)
        fixed (short* output = q)
        {
            for (int c = lane; c < channels; c += lanes)
            {
                byte mode = modes[c];
                int running = estimate, mean = 0, previous = 0;
                short* column = output + c;
                for (int t = 0; t < tokens; t++)
                {
                    int cls = classes[t == 0 ? first : running];
                    uint slot = x & Rans.SlotMask;
                    int token = slots[(cls << Rans.ScaleBits) + (int)slot];
                    int index = (cls * ResidualModels.Tokens) + token;
                    x = (frequencies[index] * (x >> Rans.ScaleBits)) + slot - starts[index];
                    while (x < Rans.LowerBound)
                    {
                        if (p >= length)
                        {
                            throw new KvCodecException(KvCodecError.Truncated, $"lane ended at token {t} of channel {c}");
                        }

                        x = (x << 8) | bytes[p++];
                    }

                    uint u = (uint)token;
                    if (token >= ResidualModels.DirectTokens)
                    {
                        int raw = ResidualModels.BitsOfToken(token) - 1;
                        int low = Math.Min(raw, 8);
                        uint bits = Rans.GetBits(ref x, low, data, ref p);
                        if (raw > 8)
                        {
                            bits |= Rans.GetBits(ref x, raw - 8, data, ref p) << 8;
                        }

                        u = (1u << raw) | bits;
                    }

                    int s = (int)(u >> 1) ^ -(int)(u & 1);
                    int pred = Prediction(mode, t, previous, mean);
                    int value = pred + s;
                    if ((uint)(value + MaxMagnitude) > 2 * MaxMagnitude)
                    {
                        throw new KvCodecException(KvCodecError.Malformed, $"quantised value {value} at token {t}, channel {c} is out of range");
                    }

                    column[t * channels] = (short)value;
                    mean = UpdateMean(mean, value, t);
                    previous = value;
                    int magnitude = s < 0 ? -s : s;
                    if (t == 0)
                    {
                        first = ResidualModels.Update(first, magnitude);
                    }
                    else
                    {
                        running = ResidualModels.Update(running, magnitude);
                    }
                }
            }
        }

        Rans.End(x, p, data, "lane");
    }
}
