using TransferHub.Registry.Features.Registration;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Audit;
using TransferHub.Registry.Features.Drift;
using TransferHub.Registry.Features.Events;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Serving;
using TransferHub.Registry.Features.Stages;

namespace TransferHub.Web.Features.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>The model registry, serving and drift monitoring; the engine's predictor (IModelLoader) comes from AddTrainingEngine.</summary>
    public static IServiceCollection AddModelRegistry(this IServiceCollection services)
    {
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ModelCache>();
        services.AddSingleton<ModelAccess>();
        services.AddSingleton<IRegistryDatabase, RegistryDatabase>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IRegistryEvents, RegistryEvents>();
        services.AddSingleton<ReferenceProfiler>();
        services.AddSingleton<PolicyChecks>();
        services.AddSingleton<VersionViews>();
        services.AddSingleton<RegistryService>();
        services.AddSingleton<ModelCards>();
        services.AddSingleton<StageService>();
        services.AddSingleton<ServingService>();
        services.AddSingleton<ModelExampleService>();
        services.AddSingleton<DriftService>();
        services.AddSingleton<LabelingLoop>();
        services.AddSingleton<DriftMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<DriftMonitor>());
        services.AddSingleton<OnnxBackfill>();
        services.AddHostedService(sp => sp.GetRequiredService<OnnxBackfill>());
        return services;
    }
}
