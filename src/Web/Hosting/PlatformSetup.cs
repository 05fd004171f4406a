using TransferHub.Registry.Features.Models;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;
using TransferHub.Training.Engine;
using TransferHub.Training.Serving;
using TransferHub.Web.Components;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Backup;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Health;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Notifications;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Features.Registry;
using TransferHub.Web.Features.Sample;
using TransferHub.Web.Features.Security;
using TransferHub.Web.Features.Tokens;
using TransferHub.Web.Features.Users;
using TransferHub.Web.Features.Versions;
using TransferHub.Web.Features.Weights;
using TransferHub.Web.Features.Weights.Hub;
using TransferHub.Web.Features.Webhooks;
using TransferHub.Web.Features.Workers;
using TransferHub.Web.Infrastructure;
using TransferHub.Web.Infrastructure.Telemetry;

namespace TransferHub.Web.Hosting;

/// <summary>The parts of the composition root that are not one feature's: platform services, the pipeline, the portal.</summary>
public static class PlatformSetup
{
    /// <summary>Clock, database, keys, artifact store, API errors and JSON, OpenAPI, health checks and telemetry.</summary>
    public static IServiceCollection AddPlatform(this IServiceCollection services, IConfiguration configuration, string dataRoot)
    {
        services.AddSingleton(TimeProvider.System);
        // A background loop that fails logs and ends alone; it never stops the web server (each loop also survives its own errors).
        services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        services.AddAppDatabase(configuration, dataRoot);
        services.AddDataProtection().SetApplicationName("TransferHub").PersistKeysToDbContext<AppDbContext>();
        services.AddArtifactStore(dataRoot);
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? c.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(RequiredRequestFields.Apply);
        });
        services.AddAppOpenApi();
        services.AddAppHealthChecks();
        services.AddTelemetry(configuration);
        services.AddAppRateLimits();
        return services;
    }

    /// <summary>The training engine's façade and the predictor serving loads: the only two ways the web reaches the engine's code.</summary>
    public static IServiceCollection AddTrainingEngine(this IServiceCollection services) => services
        .AddSingleton<ITrainingEngine, TrainingEngine>()
        .AddSingleton<IModelLoader>(sp => new PredictorLoader(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RegistryOptions>>().Value.ServingRuntime == ServingRuntime.OnnxRuntime));

    /// <summary>People, projects, their notifications and webhooks.</summary>
    public static IServiceCollection AddProjects(this IServiceCollection services) => services
        .AddSingleton<UserService>().AddSingleton<IUserDirectory>(sp => sp.GetRequiredService<UserService>())
            .AddSingleton<ProjectService>().AddSingleton<IProjectMembership>(sp => sp.GetRequiredService<ProjectService>()).AddSingleton<NotificationService>().AddWebhooks();

    /// <summary>Pretrained weights (uploads and the Hub), the models that score items for labeling, and the sample project.</summary>
    public static IServiceCollection AddWeights(this IServiceCollection services, string dataRoot) => services
        .AddHubClient(dataRoot)
        .AddSingleton<WeightsService>().AddSingleton<ModelScoringService>()
        .AddSingleton<IItemScoreProvider>(sp => sp.GetRequiredService<ModelScoringService>())
        .AddSingleton<SampleProjectService>().AddSingleton<SampleSourceProcess>();

    /// <summary>Blazor Server, MudBlazor and the SignalR hubs (with the Redis backplane when configured).</summary>
    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddSignalR(o => o.AddFilter<AppExceptionHubFilter>()).AddWorkerHubOptions().AddScaleOut(services, configuration);
        // Messages at the bottom: every page keeps its main action at the top right (Start labeling, Back up now…), where
        // MudBlazor's default corner put the message over the button just pressed.
        services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomLeft);
        return services;
    }

    /// <summary>Headers, errors, first-run redirect, request limits, authentication, rate limits, authorization, antiforgery.</summary>
    public static WebApplication UsePlatformPipeline(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/Error", CreateScopeForErrors = true });
        app.UseWhen(ctx => ApiPaths.IsApi(ctx.Request.Path), api => api.UseStatusCodePages());
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        app.UseMiddleware<FirstRunMiddleware>();
        app.UseRouting();
        app.UseMiddleware<RequestSizeLimitMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>Every REST route under <c>/api</c> (bearer tokens or the cookie; antiforgery is for forms only).</summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        app.MapGroup("/api").DisableAntiforgery()
            .MapProjectEndpoints().MapUserEndpoints().MapTokenEndpoints().MapNotificationEndpoints()
            .MapDatasetEndpoints().MapVersionEndpoints().MapExperimentEndpoints().MapWorkerEndpoints()
            .MapWeightsEndpoints().MapSampleProjectEndpoints().MapRegistryEndpoints().MapSecurityEndpoints().MapWebhookEndpoints().MapBackupEndpoints();
        return app;
    }

    /// <summary>Static assets, OpenAPI, health, account forms, the hubs and the Blazor portal.</summary>
    public static WebApplication MapPortal(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapAppHealth();
        app.MapAccountEndpoints();
        app.MapHub<LabelingHub>(LabelingHubContract.Route);
        app.MapHub<WorkerHub>(WorkerHubContract.Route);
        app.MapHub<ExperimentHub>(ExperimentHubContract.Route);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
