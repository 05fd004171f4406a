using TransferHub.Registry.Features.Artifacts;

namespace TransferHub.Tests.Unit.Registry;

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobArtifactStoreTests(AzuriteFixture azurite) : ArtifactStoreContract
{
    private readonly AzureBlobArtifactStore _store = new(azurite.Container("artifacts-" + Guid.NewGuid().ToString("N")[..12]));

    protected override IArtifactStore Store => _store;

    [Fact]
    public async Task UnreachableServiceFailsTheHealthCheck()
    {
        var dead = new AzureBlobArtifactStore(new Azure.Storage.Blobs.BlobContainerClient(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
            "x", new Azure.Storage.Blobs.BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(2) } }));

        await Should.ThrowAsync<Exception>(() => dead.CheckHealthAsync(CancellationToken.None));
    }
}
