using Azure.Storage.Blobs;
using TransferHub.Tests.Support;

namespace TransferHub.Tests.Unit.Registry;

/// <summary>Azurite's blob service for the blob-store contract tests, started once for the collection.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? "";

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync(RepoPaths.Root);

    public BlobContainerClient Container(string name) => new(ConnectionString, name);

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

public static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TransferHub.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("TransferHub.sln not found above " + AppContext.BaseDirectory);
    }
}
