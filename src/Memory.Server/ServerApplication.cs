using System.Text.Json;
using System.Text.Json.Serialization;
using Memory.Conversations;
using Memory.Inference.Serving;
using Memory.KvCache;
using Memory.Server.Endpoints;
using Memory.Server.Errors;
using Memory.Server.Health;
using Memory.Server.Hosting;
using Memory.Server.Security;
using Memory.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Memory.Server;

/// <summary>Builds the Memory host: services, security, pipeline and endpoints.</summary>
internal static class ServerApplication
{
    /// <param name="args">Command-line arguments (--urls, configuration overrides).</param>
    /// <param name="configure">Last word on the builder before it is read (tests add configuration here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json lives beside the assembly; the working directory may be anywhere (dotnet Memory.Server.dll).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        var keys = ApiKeyCatalog.Resolve(ApiKeyCatalog.ReadOptions(builder.Configuration));
        var bindingNotes = keys.Count == 0 ? LoopbackBinding.Enforce(builder) : [];

        var serverOptions = builder.Configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = serverOptions.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });

        AddServices(builder.Services, builder.Configuration);

        var app = builder.Build();
        LogStart(app, keys, bindingNotes);
        UsePipeline(app);
        MapEndpoints(app);
        return app;
    }

    private static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName)
            .PostConfigure<IConfiguration>((options, config) => options.EnvironmentKeys = config[AuthOptions.EnvironmentVariable])
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<ApiKeyRegistry>();

        services.AddMemoryStorage(configuration);
        services.AddConversationMemory(configuration);
        services.AddHostedService<StoreInitializer>();
        services.AddKvCache(configuration);
        services.AddLocalModel(configuration);

        services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge && context.ProblemDetails.Detail is null)
            {
                var limit = context.HttpContext.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.MaxRequestBodyBytes;
                context.ProblemDetails.Detail = RequestBodyLimitMiddleware.TooLargeDetail(limit);
            }
        });
        services.AddExceptionHandler<DomainExceptionHandler>();
        services.AddExceptionHandler<ExtractionExceptionHandler>();
        services.AddExceptionHandler<LocalModelExceptionHandler>();

        services.AddAuthentication(TenantClaims.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(TenantClaims.Scheme, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(TenantClaims.Scheme)
                .RequireClaim(TenantClaims.Tenant)
                .Build());

        services.AddHealthChecks().AddCheck<StoreHealthCheck>(StoreHealthCheck.Name, tags: [HealthEndpoints.ReadyTag]);
        services.AddOpenApi(options => options.AddDocumentTransformer<ApiKeySecuritySchemeTransformer>());
    }

    internal static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper));
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapMemoryEndpoints();
        app.MapSearchEndpoints();
        app.MapResetEndpoints();
        app.MapExtractionEndpoints();
        app.MapChatCompletionEndpoints();
        app.MapKvEndpoints();
        app.MapHealthEndpoints();
        app.MapOpenApi();
        app.MapScalarApiReference();
    }

    private static void LogStart(WebApplication app, IReadOnlyList<ApiKeyEntry> keys, IReadOnlyList<string> bindingNotes)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Memory.Server");
        foreach (var note in bindingNotes)
        {
            logger.LogWarning("{Note}", note);
        }

        if (keys.Count == 0)
        {
            logger.LogWarning(
                "No API key is configured: serving loopback callers only, all as tenant '{Tenant}'. Configure Auth:Keys, Auth:KeysFile or MEMORY_API_KEYS to serve other hosts and tenants.",
                AuthOptions.DefaultTenant);
        }
        else
        {
            logger.LogInformation("{KeyCount} API key(s) configured for {TenantCount} tenant(s).",
                keys.Count, keys.Select(k => k.Tenant).Distinct(StringComparer.Ordinal).Count());
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
            var exposed = keys.Count == 0 ? LoopbackBinding.NonLoopbackAddresses(addresses) : [];
            if (exposed.Count > 0)
            {
                logger.LogCritical("No API key is configured but the server listens on {Addresses}; stopping.", string.Join(", ", exposed));
                app.Lifetime.StopApplication();
                return;
            }

            logger.LogInformation("Memory server listening on {Addresses}.", string.Join(", ", addresses?.Addresses ?? []));
        });
    }
}
