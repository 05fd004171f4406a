using TransferHub.Registry.Features.Artifacts;

namespace TransferHub.Tests.Unit.Registry;

public sealed class FileSystemArtifactStoreTests : ArtifactStoreContract, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "th-artifacts-" + Guid.NewGuid().ToString("N"));
    private readonly FileSystemArtifactStore _store;

    public FileSystemArtifactStoreTests() => _store = new FileSystemArtifactStore(_root);

    protected override IArtifactStore Store => _store;

    [Fact]
    public async Task ReservedFoldersCannotBeAddressed()
    {
        await Should.ThrowAsync<ArgumentException>(() => _store.PutAsync(".meta/x", new MemoryStream([1]), CancellationToken.None));
    }

    [Fact]
    public async Task FailedUploadLeavesNoTemporaryFile()
    {
        await Should.ThrowAsync<IOException>(() => _store.PutAsync("x/y", new ThrowingStream(), CancellationToken.None));

        Directory.EnumerateFiles(Path.Combine(_root, ".tmp")).ShouldBeEmpty();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class ThrowingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("disk gone");
    }
}
