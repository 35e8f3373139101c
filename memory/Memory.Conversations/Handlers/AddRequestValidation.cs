using Memory.Conversations.Errors;
using Memory.Conversations.Requests;

namespace Memory.Conversations.Handlers;

/// <summary>The checks of an add request, made before anything is embedded, asked of a model, queued or stored.</summary>
internal static class AddRequestValidation
{
    public static void Validate(AddMemoriesRequest request, ConversationOptions options)
    {
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.Scope(request.Scope);
        if (request.Messages is null || request.Messages.Count == 0)
        {
            throw new MemoryValidationException("messages", "messages must contain at least one message.");
        }

        if (request.Messages.Count > options.MaxMessagesPerRequest)
        {
            throw new MemoryValidationException(
                "messages", $"messages holds {request.Messages.Count} messages; the limit is {options.MaxMessagesPerRequest}.");
        }

        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message is null)
            {
                throw new MemoryValidationException($"messages[{i}]", $"messages[{i}] is null.");
            }

            RequestValidation.Text(message.Content, $"messages[{i}].content", options.MaxTextLength);
            if (string.IsNullOrWhiteSpace(message.Role))
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role must not be empty.");
            }

            if (message.Role.Length > RequestValidation.MaxIdLength)
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role is at most {RequestValidation.MaxIdLength} characters.");
            }

            if (message.MessageId is { Length: > RequestValidation.MaxIdLength })
            {
                throw new MemoryValidationException($"messages[{i}].id", $"messages[{i}].id is at most {RequestValidation.MaxIdLength} characters.");
            }
        }
    }
}
