using System.Threading.Channels;
using Memory.Conversations.Errors;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction.Background;

/// <summary>
/// The bounded queue between async_mode requests and <see cref="ExtractionWorker"/>. A full queue refuses
/// (<see cref="ExtractionQueueFullException"/>) rather than waiting, so callers get an answer at once and can retry.
/// </summary>
public sealed class ExtractionQueue
{
    private readonly Channel<QueuedExtraction> _channel;
    private readonly ExtractionJobs _jobs;
    private readonly TimeProvider _clock;
    private readonly int _capacity;

    public ExtractionQueue(IOptions<ExtractionOptions> options, ExtractionJobs jobs, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        _capacity = options.Value.QueueCapacity;
        _channel = Channel.CreateBounded<QueuedExtraction>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _jobs = jobs;
        _clock = clock;
    }

    public ChannelReader<QueuedExtraction> Reader => _channel.Reader;

    public ExtractionJob Enqueue(Requests.AddMemoriesRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _clock.GetUtcNow();
        var job = new ExtractionJob(Guid.CreateVersion7(now).ToString(), request.Tenant, ExtractionJobStatus.Queued, request.Messages.Count, now);
        _jobs.Set(job);
        if (!_channel.Writer.TryWrite(new QueuedExtraction(job.Id, request)))
        {
            _jobs.Remove(job.Id);
            throw new ExtractionQueueFullException(
                $"The background extraction queue is full ({_capacity} requests, Extraction:QueueCapacity) or shutting down; nothing was queued or stored. Retry later or send the request without async_mode.");
        }

        return job;
    }

    /// <summary>No more requests are accepted; the worker finishes what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
