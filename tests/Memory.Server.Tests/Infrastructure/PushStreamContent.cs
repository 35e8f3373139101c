using System.Net;

namespace Memory.Server.Tests.Infrastructure;

/// <summary>Content with no known length, so HttpClient sends it chunked.</summary>
internal sealed class PushStreamContent(byte[] bytes) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
