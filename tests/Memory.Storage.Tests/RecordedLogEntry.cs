using Microsoft.Extensions.Logging;

namespace Memory.Storage.Tests;

/// <summary>One entry of <see cref="RecordingLoggerProvider"/>.</summary>
internal sealed record RecordedLogEntry(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Properties);
