namespace Memory.Storage.Text;

/// <summary>Receives one token's UTF-8 bytes (valid only during the call) with the caller's state.</summary>
internal delegate void TokenHandler<TState>(ref TState state, ReadOnlySpan<byte> token);
