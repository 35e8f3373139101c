namespace Memory.Storage;

/// <summary>
/// Times as both stores keep them: UTC with microsecond precision (PostgreSQL's), so a record reads back
/// exactly as it was written, whichever store holds it.
/// </summary>
internal static class StoredTime
{
    public static DateTimeOffset Normalize(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    public static DateTimeOffset? Normalize(DateTimeOffset? value) => value is { } v ? Normalize(v) : null;

    public static DateTimeOffset Now() => Normalize(DateTimeOffset.UtcNow);

    public static long ToUnixMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromUnixMicroseconds(long microseconds) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (microseconds * 10), TimeSpan.Zero);
}
