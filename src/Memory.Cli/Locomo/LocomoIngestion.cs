using System.Text.Json;
using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Cli.Locomo;

/// <summary>
/// Sends a LoCoMo conversation through the same AddMemoriesRequest a REST client's POST /memories becomes:
/// one request per session, one message per turn (dia_id as the message id, the speaker as role, the session
/// date as timestamp and metadata); infer=false by default, infer=true to measure fact extraction.
/// </summary>
public static class LocomoIngestion
{
    public static MemoryScope ScopeOf(LocomoConversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return MemoryScope.From(conversation.SampleId, agentId: null, runId: null);
    }

    public static IEnumerable<AddMemoriesRequest> Requests(LocomoConversation conversation, string tenant, bool includeImageCaptions, bool infer = false)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var scope = ScopeOf(conversation);
        var requestMetadata = new Dictionary<string, JsonElement>
        {
            ["source"] = JsonSerializer.SerializeToElement("locomo"),
            ["sample_id"] = JsonSerializer.SerializeToElement(conversation.SampleId),
        };

        foreach (var session in conversation.Sessions)
        {
            var messages = new List<IncomingMessage>();
            foreach (var turn in session.Turns)
            {
                var text = TurnText(turn, includeImageCaptions);
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                var metadata = new Dictionary<string, JsonElement>
                {
                    ["speaker"] = JsonSerializer.SerializeToElement(turn.Speaker),
                    ["session"] = JsonSerializer.SerializeToElement(session.Number),
                    ["dia_id"] = JsonSerializer.SerializeToElement(turn.DiaId),
                };
                if (session.DateTimeText is not null)
                {
                    metadata["session_date_time"] = JsonSerializer.SerializeToElement(session.DateTimeText);
                }

                messages.Add(new IncomingMessage(turn.Speaker, text, turn.DiaId, session.DateTime, metadata));
            }

            if (messages.Count > 0)
            {
                yield return new AddMemoriesRequest(tenant, scope, messages, requestMetadata, Infer: infer, Actor: "locomo-eval");
            }
        }
    }

    /// <summary>The turn's words; a shared photo is rendered as the dataset's caption of it.</summary>
    public static string TurnText(LocomoTurn turn, bool includeImageCaptions)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return includeImageCaptions && !string.IsNullOrWhiteSpace(turn.ImageCaption)
            ? $"{turn.Text} [shares an image: {turn.ImageCaption}]".Trim()
            : turn.Text;
    }

    public static async Task<int> IngestAsync(
        IMediator mediator, LocomoConversation conversation, string tenant, bool includeImageCaptions, CancellationToken cancellationToken,
        bool infer = false)
    {
        ArgumentNullException.ThrowIfNull(mediator);
        var stored = 0;
        foreach (var request in Requests(conversation, tenant, includeImageCaptions, infer))
        {
            var result = await mediator.Send(request, cancellationToken);
            stored += result.Results.Count(r => r.Event == MemoryEvent.Add);
        }

        return stored;
    }
}
