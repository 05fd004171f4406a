using System.Security.Cryptography;
using TransferHub.Registry.Features.Artifacts;

namespace TransferHub.Tests.Unit.Registry;

/// <summary>The behaviour every artifact store must have; each store's test class runs all of it.</summary>
public abstract class ArtifactStoreContract
{
    protected abstract IArtifactStore Store { get; }

    private static string NewKey(string name) => $"contract/{Guid.NewGuid():N}/{name}";

    [Fact]
    public async Task PutThenReadRoundTripsBytesSizeAndHash()
    {
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17); // more than one blob block
        var key = NewKey("model.safetensors");

        var info = await Store.PutAsync(key, new MemoryStream(bytes), CancellationToken.None);
        await using var read = await Store.OpenReadAsync(key, CancellationToken.None);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        info.ShouldBe(new ArtifactInfo(key, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))));
        copy.ToArray().ShouldBe(bytes);
        (await Store.GetInfoAsync(key, CancellationToken.None)).ShouldBe(info);
    }

    [Fact]
    public async Task PutReplacesExistingContent()
    {
        var key = NewKey("a.bin");
        await Store.PutAsync(key, new MemoryStream([1, 2, 3]), CancellationToken.None);

        var info = await Store.PutAsync(key, new MemoryStream([9]), CancellationToken.None);

        info.Size.ShouldBe(1);
        (await Store.GetInfoAsync(key, CancellationToken.None))!.Sha256.ShouldBe(info.Sha256);
    }

    [Fact]
    public async Task EmptyArtifactIsAllowed()
    {
        var info = await Store.PutAsync(NewKey("empty"), new MemoryStream(), CancellationToken.None);

        info.Size.ShouldBe(0);
        info.Sha256.ShouldBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    [Fact]
    public async Task MissingArtifactSaysSo()
    {
        var key = NewKey("missing");

        await Should.ThrowAsync<ArtifactNotFoundException>(() => Store.OpenReadAsync(key, CancellationToken.None));
        (await Store.GetInfoAsync(key, CancellationToken.None)).ShouldBeNull();
        (await Store.DeleteAsync(key, CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task DeleteRemovesTheArtifact()
    {
        var key = NewKey("gone");
        await Store.PutAsync(key, new MemoryStream([1]), CancellationToken.None);

        (await Store.DeleteAsync(key, CancellationToken.None)).ShouldBeTrue();

        (await Store.GetInfoAsync(key, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task ListReturnsKeysUnderAPrefixInOrder()
    {
        var prefix = $"list/{Guid.NewGuid():N}/";
        foreach (var name in new[] { "b", "a", "c/d" })
        {
            await Store.PutAsync(prefix + name, new MemoryStream([1, 2]), CancellationToken.None);
        }
        await Store.PutAsync($"list/{Guid.NewGuid():N}/other", new MemoryStream([1]), CancellationToken.None);

        var listed = new List<ArtifactInfo>();
        await foreach (var item in Store.ListAsync(prefix, CancellationToken.None))
        {
            listed.Add(item);
        }

        listed.Select(i => i.Key).ShouldBe([prefix + "a", prefix + "b", prefix + "c/d"]);
        listed.ShouldAllBe(i => i.Size == 2 && i.Sha256.Length == 64);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("c:/windows")]
    [InlineData("")]
    public async Task HostileKeysAreRefused(string key)
    {
        await Should.ThrowAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), CancellationToken.None));
    }

    [Fact]
    public async Task FailedUploadLeavesNothingBehind()
    {
        var key = NewKey("broken");

        await Should.ThrowAsync<IOException>(() => Store.PutAsync(key, new FailingStream(6 * 1024 * 1024), CancellationToken.None));

        (await Store.GetInfoAsync(key, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task HealthCheckPasses() => await Store.CheckHealthAsync(CancellationToken.None);

    /// <summary>Yields zeros, then fails like a dropped connection.</summary>
    private sealed class FailingStream(long failAfter) : Stream
    {
        private long _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("connection reset");
            }
            var n = (int)Math.Min(count, failAfter - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
