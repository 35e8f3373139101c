namespace Memory.Inference.Models;

/// <summary>A model directory that cannot be used: unsupported architecture, missing or malformed tensor, bad config.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
