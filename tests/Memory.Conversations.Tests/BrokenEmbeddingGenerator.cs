using Microsoft.Extensions.AI;

namespace Memory.Conversations.Tests;

/// <summary>
/// An embedder that answers with the vector it was told to (NaN, infinity, zeros, the wrong length): the
/// malfunctions a real provider can return, which the engine must refuse before writing anything.
/// </summary>
internal sealed class BrokenEmbeddingGenerator(Func<string, float[]> answer) : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(answer(v)))));

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
