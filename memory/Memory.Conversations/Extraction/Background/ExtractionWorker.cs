using Memory.Conversations.Errors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction.Background;

/// <summary>
/// Runs queued async_mode extractions through the same <see cref="ExtractionPipeline"/> as synchronous ones.
/// While the chat model is unavailable a job is retried (Extraction:BackgroundAttempts, with a delay); when it
/// stays unavailable or refuses the call, and when the host stops with jobs still queued, the job's messages are
/// stored verbatim with <c>extraction: failed</c>: a caller who got 202 never loses what it sent.
/// </summary>
public sealed class ExtractionWorker : BackgroundService
{
    private readonly ExtractionQueue _queue;
    private readonly ExtractionJobs _jobs;
    private readonly IServiceScopeFactory _scopes;
    private readonly ExtractionOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<ExtractionWorker> _logger;

    public ExtractionWorker(
        ExtractionQueue queue, ExtractionJobs jobs, IServiceScopeFactory scopes, IOptions<ExtractionOptions> options, TimeProvider clock,
        ILogger<ExtractionWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _queue = queue;
        _jobs = jobs;
        _scopes = scopes;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(0, _options.Workers).Select(_ => WorkAsync(stoppingToken)).ToList();
        await Task.WhenAll(workers);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        await base.StopAsync(cancellationToken);

        // Whatever is still queued is stored verbatim rather than lost with the process.
        while (_queue.Reader.TryRead(out var left))
        {
            await FinishVerbatimAsync(left, Started(left), "The server stopped before this background extraction ran.", CancellationToken.None);
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await RunAsync(item, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync stores what is left.
        }
    }

    private async Task RunAsync(QueuedExtraction item, CancellationToken stoppingToken)
    {
        var job = Started(item);
        string? lastError = null;
        for (var attempt = 1; attempt <= _options.BackgroundAttempts; attempt++)
        {
            job = job with { Attempts = attempt };
            _jobs.Set(job);
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var pipeline = scope.ServiceProvider.GetRequiredService<ExtractionPipeline>();
                var result = await pipeline.RunAsync(item.Request, stoppingToken);
                _jobs.Set(job with { Status = ExtractionJobStatus.Completed, FinishedAt = _clock.GetUtcNow(), Result = result });
                return;
            }
            catch (ChatModelUnavailableException exception)
            {
                lastError = exception.Message;
                _logger.LogWarning("Background extraction {Job} attempt {Attempt} of {Attempts}: {Error}", item.JobId, attempt, _options.BackgroundAttempts, exception.Message);
                if (attempt < _options.BackgroundAttempts)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(_options.BackgroundRetryDelaySeconds), _clock, stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
            catch (ChatModelRejectedException exception)
            {
                lastError = exception.Message;
                break;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                lastError = "The server stopped while this background extraction ran.";
                break;
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "Background extraction {Job} failed", item.JobId);
                _jobs.Set(job with { Status = ExtractionJobStatus.Failed, FinishedAt = _clock.GetUtcNow(), Error = exception.Message });
                return;
            }
        }

        await FinishVerbatimAsync(item, job, lastError ?? "The chat model stayed unavailable.", CancellationToken.None);
    }

    private ExtractionJob Started(QueuedExtraction item)
    {
        var queued = _jobs.Get(item.Request.Tenant, item.JobId);
        var job = (queued ?? new ExtractionJob(item.JobId, item.Request.Tenant, ExtractionJobStatus.Queued, item.Request.Messages.Count, _clock.GetUtcNow()))
            with { Status = ExtractionJobStatus.Running, StartedAt = _clock.GetUtcNow() };
        _jobs.Set(job);
        return job;
    }

    private async Task FinishVerbatimAsync(QueuedExtraction item, ExtractionJob job, string error, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var pipeline = scope.ServiceProvider.GetRequiredService<ExtractionPipeline>();
            var result = await pipeline.StoreVerbatimAsync(item.Request, error, cancellationToken);
            _jobs.Set(job with { Status = ExtractionJobStatus.Completed, FinishedAt = _clock.GetUtcNow(), Result = result, Error = error });
        }
        catch (Exception exception)
        {
            _logger.LogCritical(exception,
                "Background extraction {Job} of tenant {Tenant}: {Messages} messages could not be stored at all ({Error})",
                item.JobId, item.Request.Tenant, item.Request.Messages.Count, error);
            _jobs.Set(job with { Status = ExtractionJobStatus.Failed, FinishedAt = _clock.GetUtcNow(), Error = $"{error} Storing the messages verbatim failed too: {exception.Message}" });
        }
    }
}
