namespace Memory.Cli.Hosting;

/// <summary>A throw-away SQLite database path, removed (with its WAL and shared-memory files) on dispose.</summary>
public sealed class TemporarySqliteFile : IDisposable
{
    public TemporarySqliteFile(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"memory-{purpose}-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public void Dispose()
    {
        foreach (var file in new[] { Path, Path + "-wal", Path + "-shm", Path + "-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // A leftover temporary file is harmless; the result already stands.
            }
        }
    }
}
