using Memory.Inference.Decoding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Inference.Serving;

/// <summary>
/// Holds the process's local model: loaded once (at start by <see cref="LocalModelLoader"/>, or on first use),
/// shared by the chat endpoint, the in-process chat client and the KV endpoints. A failed load is remembered and
/// reported to every caller with its reason, instead of retrying the load on every request.
/// </summary>
public sealed class LocalModelHost : IAsyncDisposable
{
    private readonly DecoderOptions _decoder;
    private readonly LocalModelOptions _options;
    private readonly GenerationSchedulerOptions _scheduler;
    private readonly IKvPrefixCache? _cache;
    private readonly ILoggerFactory _loggers;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LocalModel? _model;
    private Exception? _failure;

    public LocalModelHost(IOptions<DecoderOptions> decoder, IOptions<LocalModelOptions> options, IOptions<GenerationSchedulerOptions> scheduler, ILoggerFactory loggers, IKvPrefixCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        _decoder = decoder.Value;
        _options = options.Value;
        _scheduler = scheduler.Value;
        _loggers = loggers ?? throw new ArgumentNullException(nameof(loggers));
        _cache = cache;
    }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(_decoder.ModelDirectory);

    public bool LoadAtStart => _options.LoadAtStart;

    /// <summary>The model once loaded; null before.</summary>
    public LocalModel? Loaded => Volatile.Read(ref _model);

    /// <exception cref="LocalModelUnavailableException">Not configured, or the load failed (the reason is the message).</exception>
    public async ValueTask<LocalModel> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _model) is { } loaded)
        {
            return loaded;
        }

        if (!IsConfigured)
        {
            throw new LocalModelUnavailableException("no local model is configured: set Decoder:ModelDirectory to a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)") { IsConfigured = false };
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_model is not null)
            {
                return _model;
            }

            if (_failure is not null)
            {
                throw new LocalModelUnavailableException("the local model failed to load: " + _failure.Message, _failure);
            }

            try
            {
                // Loading maps and uploads the weights: seconds of synchronous work, off the caller's thread.
                var model = await Task.Run(() => LocalModel.Open(_decoder, _options, _scheduler, _cache, _loggers), cancellationToken);
                Volatile.Write(ref _model, model);
                return model;
            }
            catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
            {
                _failure = exception;
                _loggers.CreateLogger<LocalModelHost>().LogError(exception, "The local model in {Directory} failed to load", _decoder.ModelDirectory);
                throw new LocalModelUnavailableException("the local model failed to load: " + exception.Message, exception);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_model is not null)
        {
            await _model.DisposeAsync();
        }

        _gate.Dispose();
    }
}
