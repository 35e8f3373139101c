namespace Memory.KvCache.Codec;

/// <summary>Keys and values of one block as fp16 bits, each [layers, tokens, channels].</summary>
public sealed record KvTensors(int Layers, int Tokens, int Channels, ushort[] Keys, ushort[] Values)
{
    public long Elements => (long)Layers * Tokens * Channels;

    public void Validate()
    {
        if (Layers < 1 || Tokens < 1 || Channels < 1)
        {
            throw new ArgumentException($"KV tensors need positive dimensions (layers {Layers}, tokens {Tokens}, channels {Channels})");
        }

        if (Keys.LongLength != Elements || Values.LongLength != Elements)
        {
            throw new ArgumentException($"KV tensors of {Layers}×{Tokens}×{Channels} need {Elements} keys and values; got {Keys.LongLength} and {Values.LongLength}");
        }
    }
}
