using Memory.Conversations.Errors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Embeddings;

/// <summary>
/// The one way the engine turns text into vectors: calls the configured generator in batches and refuses
/// anything unusable (a missing vector, wrong length, NaN, infinity, all zeros) with
/// <see cref="EmbeddingFailedException"/>, so a bad provider answer can never reach the store.
/// Returned vectors are L2-normalised.
/// </summary>
public sealed class MemoryEmbedder
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly EmbeddingOptions _options;
    private readonly ILogger<MemoryEmbedder> _logger;

    public MemoryEmbedder(
        IEmbeddingGenerator<string, Embedding<float>> generator, IOptions<EmbeddingOptions> options, ILogger<MemoryEmbedder> logger)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        _generator = generator;
        _options = options.Value;
        _logger = logger;
    }

    public int Dimensions => _options.Dimensions;

    public async Task<ReadOnlyMemory<float>> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        var vectors = await EmbedAsync([text], cancellationToken);
        return vectors[0];
    }

    public async Task<IReadOnlyList<ReadOnlyMemory<float>>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<ReadOnlyMemory<float>>(texts.Count);
        for (var start = 0; start < texts.Count; start += _options.BatchSize)
        {
            var batch = texts.Skip(start).Take(_options.BatchSize).ToList();
            GeneratedEmbeddings<Embedding<float>> generated;
            try
            {
                generated = await _generator.GenerateAsync(batch, options: null, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "Embedding provider {Provider} failed for a batch of {Count} texts", _options.Provider, batch.Count);
                throw new EmbeddingFailedException($"The {_options.Provider} embedding provider failed: {ex.Message}", ex);
            }

            if (generated.Count != batch.Count)
            {
                throw new EmbeddingFailedException(
                    $"The {_options.Provider} embedding provider returned {generated.Count} vectors for {batch.Count} texts.");
            }

            for (var i = 0; i < generated.Count; i++)
            {
                result.Add(Validated(generated[i]?.Vector ?? ReadOnlyMemory<float>.Empty, start + i));
            }
        }

        return result;
    }

    private ReadOnlyMemory<float> Validated(ReadOnlyMemory<float> vector, int index)
    {
        if (vector.Length != _options.Dimensions)
        {
            throw new EmbeddingFailedException(
                $"The {_options.Provider} embedding provider returned a vector of length {vector.Length} for text {index}; Embeddings:Dimensions is {_options.Dimensions}.");
        }

        var span = vector.Span;
        double sumOfSquares = 0;
        for (var i = 0; i < span.Length; i++)
        {
            if (!float.IsFinite(span[i]))
            {
                throw new EmbeddingFailedException(
                    $"The {_options.Provider} embedding provider returned a non-finite value ({span[i]}) at position {i} for text {index}.");
            }

            sumOfSquares += (double)span[i] * span[i];
        }

        var norm = Math.Sqrt(sumOfSquares);
        if (norm == 0 || !double.IsFinite(norm))
        {
            throw new EmbeddingFailedException($"The {_options.Provider} embedding provider returned a zero vector for text {index}.");
        }

        var normalized = new float[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            normalized[i] = (float)(span[i] / norm);
        }

        return normalized;
    }
}
