using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Memory.Inference.Serving;

/// <summary>Loads the configured local model when the host starts, so the first request does not pay for it.</summary>
public sealed class LocalModelLoader(LocalModelHost host, ILogger<LocalModelLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!host.IsConfigured || !host.LoadAtStart)
        {
            return;
        }

        try
        {
            await host.GetAsync(cancellationToken);
        }
        catch (LocalModelUnavailableException exception)
        {
            // The rest of the service (conversation memory) still works; chat requests report this reason.
            logger.LogError("Serving without the local model: {Reason}", exception.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
