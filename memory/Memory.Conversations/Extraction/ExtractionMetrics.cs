using System.Diagnostics.Metrics;
using Memory.Conversations.Model;

namespace Memory.Conversations.Extraction;

/// <summary>
/// Counters of the extraction pipeline on the "Memory.Extraction" meter (OpenTelemetry or dotnet-counters can
/// read them): failed extractions above all, since those are stored verbatim and need a person's attention.
/// </summary>
public sealed class ExtractionMetrics : IDisposable
{
    public const string MeterName = "Memory.Extraction";

    private readonly Meter _meter;
    private readonly Counter<long> _extractions;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _inventedIds;
    private readonly Counter<long> _unavailable;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _callSeconds;

    public ExtractionMetrics()
    {
        _meter = new Meter(MeterName);
        _extractions = _meter.CreateCounter<long>("memory.extraction.runs", description: "Extractions run (infer=true requests).");
        _failed = _meter.CreateCounter<long>("memory.extraction.failed", description: "Extractions whose model output stayed unusable; the messages were stored verbatim with extraction: failed.");
        _malformed = _meter.CreateCounter<long>("memory.extraction.malformed_answers", description: "Chat answers that could not be parsed or had the wrong shape.");
        _inventedIds = _meter.CreateCounter<long>("memory.extraction.rejected_ids", description: "Memory or message ids a model named that were not offered to it.");
        _unavailable = _meter.CreateCounter<long>("memory.extraction.model_unavailable", description: "Chat calls that failed for transport reasons (down, timeout, 5xx).");
        _events = _meter.CreateCounter<long>("memory.extraction.events", description: "Memory events decided by consolidation.");
        _callSeconds = _meter.CreateHistogram<double>("memory.extraction.call_duration", unit: "s", description: "Duration of one chat call.");
    }

    public void Run() => _extractions.Add(1);

    public void Failed(string stage) => _failed.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void MalformedAnswer(string prompt) => _malformed.Add(1, new KeyValuePair<string, object?>("prompt", prompt));

    public void RejectedId(string kind) => _inventedIds.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void ModelUnavailable() => _unavailable.Add(1);

    public void Event(MemoryEvent memoryEvent) => _events.Add(1, new KeyValuePair<string, object?>("event", memoryEvent.ToString()));

    public void CallDuration(string prompt, TimeSpan elapsed) =>
        _callSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("prompt", prompt));

    /// <summary>The meter these instruments live on (tests listen to exactly this one).</summary>
    internal Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();
}
