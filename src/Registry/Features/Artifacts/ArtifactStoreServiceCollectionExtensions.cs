using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TransferHub.Registry.Features.Artifacts;

public static class ArtifactStoreServiceCollectionExtensions
{
    /// <summary>Registers the artifact store chosen by <c>Artifacts:Provider</c>, validated at start.</summary>
    /// <param name="dataRoot">Folder that a relative <c>Artifacts:Path</c> is resolved against.</param>
    public static IServiceCollection AddArtifactStore(this IServiceCollection services, string dataRoot)
    {
        services.AddOptions<ArtifactStoreOptions>()
            .BindConfiguration(ArtifactStoreOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IArtifactStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ArtifactStoreOptions>>().Value;
            return options.Provider switch
            {
                ArtifactProvider.AzureBlob => new AzureBlobArtifactStore(
                    new BlobContainerClient(options.BlobConnectionString, options.Container)),
                _ => new FileSystemArtifactStore(Path.Combine(dataRoot, options.Path)),
            };
        });
        return services;
    }
}
