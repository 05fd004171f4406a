using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Datasets.Import;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Web.Features.Datasets;

public static class DatasetServiceCollectionExtensions
{
    public static IServiceCollection AddDatasets(this IServiceCollection services, string dataRoot)
    {
        services.AddSingleton<DatasetEvents>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton(new StagingArea(Path.Combine(dataRoot, "uploads")));
        services.AddSingleton<ImportService>();
        services.AddHostedService<ImportWorker>();
        services.AddSingleton<LabelingService>();
        services.AddSingleton<DataManagerService>();
        services.AddSingleton<LabelingPresence>();
        services.AddSingleton<AgreementService>().AddSingleton<IDatasetAgreement>(sp => sp.GetRequiredService<AgreementService>());
        services.AddSingleton<VersionService>().AddSingleton<IDatasetItems, VersionItems>();
        services.AddHostedService<LabelingHubBridge>();
        return services;
    }
}
