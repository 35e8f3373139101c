using System.Runtime.ExceptionServices;

namespace Memory.KvCache.Codec;

/// <summary>Parallel loops that surface a stream's own exception (a <see cref="KvCodecException"/>) instead of an AggregateException.</summary>
internal static class ParallelCoding
{
    public static void For(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, body);
        }
        catch (AggregateException aggregate)
        {
            var first = aggregate.Flatten().InnerExceptions.FirstOrDefault(e => e is KvCodecException) ?? aggregate.Flatten().InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
    }
}
