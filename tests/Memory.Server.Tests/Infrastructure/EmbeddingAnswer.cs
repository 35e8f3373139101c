namespace Memory.Server.Tests.Infrastructure;

/// <summary>What the scripted embedding server answers.</summary>
public enum EmbeddingAnswer
{
    /// <summary>Finite, non-zero vectors of the right length, derived from the text.</summary>
    Good,

    /// <summary>Vectors holding NaN (sent as base64 floats when asked, as a JSON string "NaN" otherwise).</summary>
    NaN,

    /// <summary>HTTP 200 with a body that is not JSON.</summary>
    Garbage,

    /// <summary>Vectors one element short.</summary>
    WrongLength,

    /// <summary>HTTP 500.</summary>
    ServerError,
}
