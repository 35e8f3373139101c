namespace Memory.Inference.Chat;

/// <summary>
/// One message of a conversation as a chat template sees it: <c>{"role": Role, "content": Content}</c>. Roles are the
/// model's own vocabulary (usually system, user, assistant, tool); templates decide what they accept.
/// </summary>
public sealed record ChatTurn(string Role, string Content);
