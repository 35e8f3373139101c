using Memory.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Memory.Server.Tests;

public sealed class LoopbackBindingTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://unix:/tmp/memory.sock", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://+:5000", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("http://memory.example.com:5000", false)]
    [InlineData("http://10.1.2.3:5000", false)]
    public void Loopback_addresses_are_recognised(string url, bool loopback) =>
        Assert.Equal(loopback, LoopbackBinding.IsLoopbackUrl(url));

    [Fact]
    public void A_non_loopback_kestrel_endpoint_without_keys_stops_start_up()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => ServerApplication.Build([], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Public:Url"] = "http://0.0.0.0:0",
                ["Storage:SqlitePath"] = Path.Combine(Path.GetTempPath(), $"memory-{Guid.NewGuid():N}.db"),
            })));

        Assert.Contains("Kestrel:Endpoints:Public", failure.Message, StringComparison.Ordinal);
    }
}
