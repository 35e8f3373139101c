using Memory.Client;
using Memory.SemanticKernel.Injection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace Memory.SemanticKernel;

/// <summary>Registers the memory plugin and automatic memory injection on a kernel builder or a kernel.</summary>
public static class MemoryKernelExtensions
{
    /// <summary>
    /// Adds <see cref="MemoryPlugin"/> for <paramref name="scope"/> over the <see cref="IMemoryClient"/> registered in
    /// the builder's services (<c>AddMemoryClient</c> or <c>AddInProcessMemoryClient</c>).
    /// </summary>
    public static IKernelBuilder AddMemoryPlugin(
        this IKernelBuilder builder, MemoryScopeIds scope, MemoryPluginOptions? options = null, string pluginName = MemoryPlugin.DefaultPluginName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(scope);
        builder.Services.AddSingleton(provider =>
            KernelPluginFactory.CreateFromObject(
                new MemoryPlugin(provider.GetRequiredService<IMemoryClient>(), scope, options, provider.GetService<ILogger<MemoryPlugin>>()),
                pluginName,
                provider.GetService<ILoggerFactory>()));
        return builder;
    }

    /// <summary>Adds <see cref="MemoryPlugin"/> to an existing kernel, e.g. a per-request clone scoped to the signed-in user.</summary>
    public static KernelPlugin ImportMemoryPlugin(
        this Kernel kernel, IMemoryClient client, MemoryScopeIds scope, MemoryPluginOptions? options = null, string pluginName = MemoryPlugin.DefaultPluginName)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.ImportPluginFromObject(new MemoryPlugin(client, scope, options, kernel.Services.GetService<ILogger<MemoryPlugin>>()), pluginName);
    }

    /// <summary>
    /// Injects the memories relevant to the user's last message into every prompt the kernel renders
    /// (<see cref="MemoryPromptRenderFilter"/>), over the registered <see cref="IMemoryClient"/>.
    /// </summary>
    public static IKernelBuilder AddMemoryInjection(this IKernelBuilder builder, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(scope);
        builder.Services.AddSingleton<IPromptRenderFilter>(provider =>
            new MemoryPromptRenderFilter(provider.GetRequiredService<IMemoryClient>(), scope, options));
        return builder;
    }

    /// <summary>
    /// Registers a <see cref="MemoryChatHistoryReducer"/> (as <see cref="Microsoft.SemanticKernel.ChatCompletion.IChatHistoryReducer"/>)
    /// for chat loops: <c>await history.ReduceInPlaceAsync(kernel.GetRequiredService&lt;IChatHistoryReducer&gt;())</c> before each call.
    /// </summary>
    public static IKernelBuilder AddMemoryChatHistoryReducer(this IKernelBuilder builder, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(scope);
        builder.Services.AddSingleton<Microsoft.SemanticKernel.ChatCompletion.IChatHistoryReducer>(provider =>
            new MemoryChatHistoryReducer(provider.GetRequiredService<IMemoryClient>(), scope, options));
        return builder;
    }

    /// <summary>Adds <see cref="MemoryPromptRenderFilter"/> to an existing kernel.</summary>
    public static Kernel AddMemoryInjection(this Kernel kernel, IMemoryClient client, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        kernel.PromptRenderFilters.Add(new MemoryPromptRenderFilter(client, scope, options));
        return kernel;
    }
}
