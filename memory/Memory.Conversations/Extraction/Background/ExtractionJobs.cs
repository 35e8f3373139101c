using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction.Background;

/// <summary>
/// The status of background extractions, in process memory: every job while queued or running, and the most
/// recent <see cref="ExtractionOptions.RetainedJobs"/> finished ones. A job is visible to its own tenant only.
/// </summary>
public sealed class ExtractionJobs
{
    private readonly ConcurrentDictionary<string, ExtractionJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _finished = new();
    private readonly int _retained;

    public ExtractionJobs(IOptions<ExtractionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _retained = options.Value.RetainedJobs;
    }

    public void Set(ExtractionJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _jobs[job.Id] = job;
        if (job.Status is ExtractionJobStatus.Completed or ExtractionJobStatus.Failed)
        {
            _finished.Enqueue(job.Id);
            while (_finished.Count > _retained && _finished.TryDequeue(out var oldest))
            {
                _jobs.TryRemove(oldest, out _);
            }
        }
    }

    public void Remove(string id) => _jobs.TryRemove(id, out _);

    public ExtractionJob? Get(string tenant, string id) =>
        _jobs.TryGetValue(id, out var job) && string.Equals(job.Tenant, tenant, StringComparison.Ordinal) ? job : null;
}
