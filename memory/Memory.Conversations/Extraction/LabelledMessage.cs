using Memory.Conversations.Requests;

namespace Memory.Conversations.Extraction;

/// <summary>
/// A message as the model sees it: a short label ("m3") stands for its id, so the model can cite it but any id
/// it invents is recognisable; <see cref="SaidAt"/> is the message's timestamp, or the time of the request.
/// </summary>
public sealed record LabelledMessage(string Label, string Id, IncomingMessage Message, DateTimeOffset SaidAt);
