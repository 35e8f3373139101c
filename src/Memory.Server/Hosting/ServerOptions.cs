using System.ComponentModel.DataAnnotations;

namespace Memory.Server.Hosting;

/// <summary>Limits of the HTTP face (section "Server").</summary>
internal sealed class ServerOptions
{
    public const string SectionName = "Server";

    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Largest request body accepted; a larger one is answered 413 before it is read.</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;
}
