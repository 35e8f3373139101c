namespace Memory.Inference.Serving;

/// <summary>Why a completion ended (OpenAI's finish_reason values where they exist).</summary>
public enum FinishReason
{
    /// <summary>A stop token was generated.</summary>
    Stop,

    /// <summary>MaxTokens, or the model's position limit, was reached.</summary>
    Length,

    /// <summary>The caller cancelled (for example, the HTTP client went away).</summary>
    Cancelled,
}
