using Memory.Client;
using Microsoft.SemanticKernel;

namespace Memory.SemanticKernel.Injection;

/// <summary>
/// Automatic memory for prompt functions (<c>kernel.InvokePromptAsync</c>, prompt templates): after a prompt is
/// rendered, searches memory with what the user said last and puts the relevant memories in a system message in
/// front of it, before the model is called. The scope is fixed when the filter is made.
/// </summary>
public sealed class MemoryPromptRenderFilter : IPromptRenderFilter
{
    private readonly RelevantMemories _memories;

    public MemoryPromptRenderFilter(IMemoryClient client, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.IsEmpty)
        {
            throw new ArgumentException("The memory scope needs at least one of UserId, AgentId or RunId.", nameof(scope));
        }

        options ??= new MemoryInjectionOptions();
        options.Validate();
        _memories = new RelevantMemories(client, scope, options);
    }

    public async Task OnPromptRenderAsync(PromptRenderContext context, Func<PromptRenderContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next(context);
        if (string.IsNullOrWhiteSpace(context.RenderedPrompt) || context.Result is not null
            || !(_memories.Options.AppliesTo?.Invoke(context.Function) ?? true))
        {
            return;
        }

        var prompt = RenderedChatPrompt.Parse(context.RenderedPrompt);
        var instructions = await _memories.DescribeAsync(prompt.LastUserText(), context.CancellationToken);
        if (instructions is not null)
        {
            context.RenderedPrompt = prompt.WithSystemMessageFirst(instructions);
        }
    }
}
