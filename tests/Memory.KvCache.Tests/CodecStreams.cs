using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>The sections of a bitstream, read the way the codec lays them out (keys and values of layer 0, then layer 1, …).</summary>
internal static class CodecStreams
{
    public static (KvBitstreamHeader Header, byte[][] Sections) Sections(byte[] stream)
    {
        var header = KvBitstreamHeader.Read(stream, out int bodyStart);
        var reader = new BitstreamReader(stream.AsSpan(0, stream.Length - KvBitstreamHeader.ChecksumBytes));
        reader.Take(bodyStart, "header");
        var sections = new byte[header.Layers * 2][];
        for (int s = 0; s < sections.Length; s++)
        {
            int length = reader.VarLength("section length", reader.Remaining);
            sections[s] = reader.Take(length, "section").ToArray();
        }

        return (header, sections);
    }
}
