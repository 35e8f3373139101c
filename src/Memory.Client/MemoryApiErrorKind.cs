namespace Memory.Client;

/// <summary>What kind of failure a <see cref="MemoryApiException"/> reports, from its HTTP status.</summary>
public enum MemoryApiErrorKind
{
    /// <summary>Any status not named below.</summary>
    Other,

    /// <summary>400: the request was refused as given (see <see cref="MemoryApiException.Errors"/>).</summary>
    Validation,

    /// <summary>401 or 403: no key, a wrong key, or a non-loopback caller of a server without keys.</summary>
    Unauthorized,

    /// <summary>404: no such memory for this API key (another tenant's id looks the same).</summary>
    NotFound,

    /// <summary>409: the memories changed meanwhile (another request won a race); nothing was stored, retry.</summary>
    Conflict,

    /// <summary>413: the body is larger than the server accepts.</summary>
    PayloadTooLarge,

    /// <summary>501: the server cannot do this (e.g. infer=true without an LLM configured); nothing was stored.</summary>
    NotImplemented,

    /// <summary>502: a provider the server depends on (embeddings, chat model) failed or refused; nothing was written.</summary>
    UpstreamFailed,

    /// <summary>503: the store or the chat model is unreachable or busy, or the extraction queue is full; retry after <see cref="MemoryApiException.RetryAfter"/>.</summary>
    Unavailable,

    /// <summary>500 and other 5xx: a server fault.</summary>
    ServerError,
}
