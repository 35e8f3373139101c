using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Memory.Inference.Decoding;
using Microsoft.Extensions.Logging;

namespace Memory.Inference.Serving;

/// <summary>
/// The one loop that drives a decoder for many callers (continuous batching): requests queue up, are admitted in
/// arrival order when their KV blocks fit, start from the longest prefix the KV cache holds (only the rest is
/// prefilled), and then every running sequence advances by one token per batched forward pass until it stops.
/// Computed full blocks go to the KV cache in the background, so a later request with the same prefix skips them.
/// <para>
/// The loop runs on its own thread because the decoder is not thread-safe and its calls are long and synchronous;
/// KV cache lookups are awaited on that thread too (a sequence cannot start before its prefix is known).
/// A request reserves the blocks for its prompt plus MaxTokens at admission, so a running sequence never finds the
/// cache full and nothing needs to be pre-empted.
/// </para>
/// </summary>
public sealed class GenerationScheduler : IAsyncDisposable
{
    private static readonly Meter Meter = new("Memory.Generation");
    private static readonly Counter<long> PromptTokens = Meter.CreateCounter<long>("memory.generation.prompt_tokens", "{token}", "Prompt tokens admitted");
    private static readonly Counter<long> CachedTokens = Meter.CreateCounter<long>("memory.generation.cached_prompt_tokens", "{token}", "Prompt tokens whose KV came from the KV cache");
    private static readonly Counter<long> CompletionTokens = Meter.CreateCounter<long>("memory.generation.completion_tokens", "{token}", "Tokens generated");

    private readonly IDecoder _decoder;
    private readonly IKvBlockAccess? _blocks;
    private readonly IKvPrefixCache? _cache;
    private readonly GenerationSchedulerOptions _options;
    private readonly ILogger _logger;
    private readonly DecoderCapacity _capacity;
    private readonly Channel<GenerationJob> _incoming;
    private readonly Channel<StoreWork> _stores;
    private readonly List<GenerationJob> _waiting = [];
    private readonly List<GenerationJob> _running = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _loop;
    private readonly Task _storeWorker;
    private int _queued;
    private int _pendingStoreBlocks;
    private int _reservedBlocks;

    /// <param name="decoder">Driven by this loop only from now on.</param>
    /// <param name="blocks">The same decoder's block access; with <paramref name="cache"/>, prefixes are reused and stored.</param>
    /// <param name="cache">The KV cache, or null to prefill every prompt in full.</param>
    public GenerationScheduler(IDecoder decoder, IKvBlockAccess? blocks, IKvPrefixCache? cache, GenerationSchedulerOptions options, ILogger<GenerationScheduler> logger)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _capacity = decoder.Capacity;
        if (cache is not null)
        {
            _blocks = blocks ?? throw new ArgumentException("a KV cache needs the decoder's block access", nameof(blocks));
            if (cache.BlockSize != blocks.KvBlockSize)
            {
                throw new ArgumentException($"the KV cache keeps blocks of {cache.BlockSize} tokens but the decoder's are {blocks.KvBlockSize} (set KvCache:BlockSize = Decoder:KvBlockSize)");
            }

            _cache = cache;
        }

        _incoming = Channel.CreateUnbounded<GenerationJob>(new UnboundedChannelOptions { SingleReader = true });
        _stores = Channel.CreateUnbounded<StoreWork>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _storeWorker = Task.Run(StoreLoopAsync);
        _loop = new Thread(Run) { IsBackground = true, Name = "generation loop" };
        _loop.Start();
    }

    /// <summary>The identity KV blocks are keyed by, when the decoder exports blocks.</summary>
    public ModelIdentity? Identity => _blocks?.Identity;

    public DecoderCapacity Capacity => _capacity;

    /// <summary>Requests waiting or running.</summary>
    public int Pending => Volatile.Read(ref _queued);

    /// <summary>Computed KV blocks not yet written to the KV cache.</summary>
    public int PendingStoreBlocks => Volatile.Read(ref _pendingStoreBlocks);

    /// <summary>Waits until every block computed so far has been handed to the KV cache (tests, benchmarks, shutdown).</summary>
    public async Task DrainStoresAsync(CancellationToken cancellationToken)
    {
        while (PendingStoreBlocks > 0)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Queues a request; its tokens arrive on the returned stream.</summary>
    /// <exception cref="GenerationRejectedException">The request can never fit or has bad tokens.</exception>
    /// <exception cref="GenerationBusyException">The queue is full.</exception>
    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        int reserved = Validate(request);
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _queued);
            throw new GenerationBusyException($"{_options.MaxQueuedRequests} requests are already waiting for the local model (Generation:MaxQueuedRequests)");
        }

        var job = new GenerationJob(request, reserved, cancellationToken);
        if (!_incoming.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(GenerationScheduler));
        }

        return job.Stream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _incoming.Writer.TryComplete();
        await Task.Run(_loop.Join);
        _stores.Writer.TryComplete();
        await _storeWorker;
        _stopping.Dispose();
    }

    private int Validate(GenerationRequest request)
    {
        if (request.Prompt.Count == 0)
        {
            throw new GenerationRejectedException("the prompt is empty");
        }

        if (request.MaxTokens < 1)
        {
            throw new GenerationRejectedException($"max tokens must be at least 1 (got {request.MaxTokens})");
        }

        int vocab = _decoder.Config.VocabSize;
        foreach (int token in request.Prompt)
        {
            if ((uint)token >= (uint)vocab)
            {
                throw new GenerationRejectedException($"token id {token} is outside the model's vocabulary of {vocab}");
            }
        }

        if (request.Prompt.Count >= _capacity.MaxTokensPerSequence)
        {
            throw new GenerationRejectedException($"the prompt has {request.Prompt.Count} tokens; the model attends over at most {_capacity.MaxTokensPerSequence}");
        }

        int total = Math.Min(request.Prompt.Count + request.MaxTokens, _capacity.MaxTokensPerSequence);
        int blocks = _capacity.BlocksFor(total);
        if (blocks > _capacity.KvBlocks)
        {
            throw new GenerationRejectedException(
                $"prompt and completion need {total} tokens ({blocks} KV blocks) but the decoder's KV cache holds {_capacity.KvBlocks} blocks of {_capacity.KvBlockSize} (Decoder:KvCacheTokens)");
        }

        return blocks;
    }

    private void Run()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                if (_running.Count == 0 && _waiting.Count == 0 && !WaitForWork())
                {
                    break;
                }

                while (_incoming.Reader.TryRead(out var job))
                {
                    _waiting.Add(job);
                }

                Admit();
                if (_running.Count > 0)
                {
                    StepRunning();
                }
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.LogError(exception, "The generation loop stopped");
            foreach (var job in _running.Concat(_waiting))
            {
                job.Fail(exception);
            }

            throw;
        }
        finally
        {
            var stopped = new ObjectDisposedException(nameof(GenerationScheduler), "the generation loop stopped");
            foreach (var job in _running.Concat(_waiting))
            {
                EndSequence(job);
                job.Fail(stopped);
            }

            while (_incoming.Reader.TryRead(out var job))
            {
                job.Fail(stopped);
            }
        }
    }

    private bool WaitForWork()
    {
        try
        {
            return _incoming.Reader.WaitToReadAsync(_stopping.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Admits waiting requests in arrival order while their reserved blocks and a sequence slot are free.</summary>
    private void Admit()
    {
        while (_waiting.Count > 0)
        {
            var job = _waiting[0];
            if (job.CancellationToken.IsCancellationRequested)
            {
                _waiting.RemoveAt(0);
                Complete(job, FinishReason.Cancelled);
                continue;
            }

            if (_running.Count >= _capacity.MaxSequences || _reservedBlocks + job.ReservedBlocks > _capacity.KvBlocks)
            {
                return;
            }

            _waiting.RemoveAt(0);
            _reservedBlocks += job.ReservedBlocks;
            job.MarkAdmitted();
            try
            {
                Start(job);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                _logger.LogWarning(exception, "A generation request failed at its prefill");
                EndSequence(job);
                _reservedBlocks -= job.ReservedBlocks;
                Interlocked.Decrement(ref _queued);
                job.Fail(exception is OperationCanceledException ? exception : new GenerationRejectedException(exception.Message, exception));
                continue;
            }

            if (!job.IsFinished)
            {
                _running.Add(job);
            }
        }
    }

    /// <summary>Imports the cached prefix, prefills the rest, stores the new full blocks and emits the first token.</summary>
    private void Start(GenerationJob job)
    {
        var request = job.Request;
        var prompt = request.Prompt as int[] ?? request.Prompt.ToArray();
        int imported = 0;
        if (_cache is not null && _blocks is not null)
        {
            // At least one prompt token must be prefilled: its logits give the first generated token.
            int maxBlocks = (prompt.Length - 1) / _blocks.KvBlockSize;
            long lookup = Stopwatch.GetTimestamp();
            var match = _cache.MatchAsync(_blocks.Identity, prompt, maxBlocks, request.Origin, job.CancellationToken).GetAwaiter().GetResult();
            job.PrefixLookup = Stopwatch.GetElapsedTime(lookup);
            try
            {
                long import = Stopwatch.GetTimestamp();
                job.Sequence = match.Blocks.Count > 0
                    ? _blocks.StartSequenceFromBlocks(match.Blocks, request.Sampling)
                    : _decoder.StartSequence(request.Sampling);
                job.PrefixImport = Stopwatch.GetElapsedTime(import);
                imported = match.Blocks.Count;
                job.CachedTokens = match.Tokens;
                job.CachedFrom = match.Sources;
            }
            finally
            {
                // The blocks are on the device now; the host copies may be evicted again.
                match.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        else
        {
            job.Sequence = _decoder.StartSequence(request.Sampling);
        }

        job.StoredBlocks = imported;
        long prefill = Stopwatch.GetTimestamp();
        _decoder.Prefill(job.Sequence, prompt.AsSpan(job.CachedTokens), job.CancellationToken);
        job.Prefill = Stopwatch.GetElapsedTime(prefill);
        PromptTokens.Add(prompt.Length);
        CachedTokens.Add(job.CachedTokens);
        // The first token goes out before the prompt's new blocks are copied off the device for the KV store (when the
        // job ends with that token, Complete stores them).
        Advance(job);
        if (!job.IsFinished)
        {
            QueueStore(job);
        }
    }

    private void StepRunning()
    {
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            if (_running[i].CancellationToken.IsCancellationRequested)
            {
                var job = _running[i];
                _running.RemoveAt(i);
                Complete(job, FinishReason.Cancelled);
            }
        }

        if (_running.Count == 0)
        {
            return;
        }

        _decoder.Step(_running.Select(j => j.Sequence!).ToArray());
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            var job = _running[i];
            Advance(job);
            if (job.IsFinished)
            {
                _running.RemoveAt(i);
            }
        }
    }

    /// <summary>Takes the sequence's newly sampled token: the end, or one more token of the completion.</summary>
    private void Advance(GenerationJob job)
    {
        var sequence = job.Sequence!;
        int token = sequence.NextToken!.Value;
        if (job.Request.StopTokens.Contains(token))
        {
            Complete(job, FinishReason.Stop);
            return;
        }

        job.Emit(token);
        CompletionTokens.Add(1);
        if (job.Generated >= job.Request.MaxTokens || sequence.Length + 1 >= _capacity.MaxTokensPerSequence)
        {
            Complete(job, FinishReason.Length);
        }
    }

    private void Complete(GenerationJob job, FinishReason reason)
    {
        if (job.Sequence is not null)
        {
            QueueStore(job);
            EndSequence(job);
            _reservedBlocks -= job.ReservedBlocks;
        }

        Interlocked.Decrement(ref _queued);
        job.Finish(reason);
    }

    private void EndSequence(GenerationJob job)
    {
        if (job.Sequence is { IsClosed: false } sequence)
        {
            _decoder.EndSequence(sequence);
        }
    }

    /// <summary>Copies the sequence's full blocks not stored yet to the host and queues them for the KV cache.</summary>
    private void QueueStore(GenerationJob job)
    {
        if (_cache is null || _blocks is null || !_options.StoreBlocks || job.Sequence is not { IsClosed: false } sequence)
        {
            return;
        }

        int full = _blocks.FullBlockCount(sequence);
        int count = full - job.StoredBlocks;
        if (count <= 0)
        {
            return;
        }

        if (Volatile.Read(ref _pendingStoreBlocks) + count > _options.MaxPendingStoreBlocks)
        {
            _logger.LogWarning("Dropping {Count} KV blocks: {Pending} are already waiting for the KV cache (Generation:MaxPendingStoreBlocks)", count, _pendingStoreBlocks);
            job.StoredBlocks = full;
            return;
        }

        var blocks = _blocks.ExportBlocks(sequence, job.StoredBlocks, count);

        var tokens = sequence.Tokens.Take(full * _blocks.KvBlockSize).ToArray();
        job.StoredBlocks = full;
        Interlocked.Add(ref _pendingStoreBlocks, count);
        _stores.Writer.TryWrite(new StoreWork(tokens, blocks, job.Request.Origin));
    }

    private async Task StoreLoopAsync()
    {
        await foreach (var work in _stores.Reader.ReadAllAsync())
        {
            try
            {
                await _cache!.StoreAsync(_blocks!.Identity, work.Tokens, work.Blocks, work.Origin, CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The cache is an optimisation: a block that was not stored is recomputed next time.
                _logger.LogWarning(exception, "Storing {Count} KV blocks failed", work.Blocks.Count);
            }
            finally
            {
                Interlocked.Add(ref _pendingStoreBlocks, -work.Blocks.Count);
            }
        }
    }

    private sealed record StoreWork(int[] Tokens, IReadOnlyList<KvBlockData> Blocks, KvBlockOrigin Origin);
}
