using Microsoft.Extensions.Time.Testing;
using TransferHub.Training.Worker;

namespace TransferHub.Tests.Unit.Training;

public sealed class VersionCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("th-versions-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-22T12:00:00Z"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Func<string, Task<string>> LayOut(List<string> calls, string text = "hello") => async folder =>
    {
        calls.Add(folder);
        var data = Path.Combine(folder, "data", "train.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(data)!);
        await File.WriteAllTextAsync(data, text);
        return data;
    };

    [Fact]
    public async Task AVersionIsLaidOutOnceAndServedFromTheCacheAfterwards()
    {
        var cache = new VersionCache(_root, _clock);
        var calls = new List<string>();
        var version = Guid.NewGuid();

        var first = await cache.GetAsync(version, LayOut(calls));
        var second = await cache.GetAsync(version, LayOut(calls));

        calls.Count.ShouldBe(1);
        second.ShouldBe(first);
        (await File.ReadAllTextAsync(second.Data)).ShouldBe("hello");
        second.TensorCache.ShouldStartWith(Path.Combine(_root, version.ToString("N")));
    }

    [Fact]
    public async Task AFailedLayoutLeavesNothingBehindAndTheNextRunTriesAgain()
    {
        var cache = new VersionCache(_root, _clock);
        var version = Guid.NewGuid();

        await Should.ThrowAsync<InvalidDataException>(() => cache.GetAsync(version, async folder =>
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "half.png"), "x");
            throw new InvalidDataException("the server went away");
        }));
        var calls = new List<string>();
        var again = await cache.GetAsync(version, LayOut(calls));

        calls.Count.ShouldBe(1);
        Directory.GetDirectories(_root).ShouldBe([Path.Combine(_root, version.ToString("N"))]); // no staging folder left
        File.Exists(again.Data).ShouldBeTrue();
    }

    [Fact]
    public async Task VersionsIdleForHoursArePrunedBeyondTheNewestFourAndAbandonedStagingFoldersGo()
    {
        var cache = new VersionCache(_root, _clock);
        var abandoned = Directory.CreateDirectory(Path.Combine(_root, $"{Guid.NewGuid():N}.dead.staging")); // a worker died laying out
        Directory.SetLastWriteTimeUtc(abandoned.FullName, _clock.GetUtcNow().UtcDateTime);
        var versions = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();
        foreach (var v in versions)
        {
            await cache.GetAsync(v, LayOut([]));
            _clock.Advance(TimeSpan.FromMinutes(1));
        }
        Directory.GetDirectories(_root).Length.ShouldBe(7); // nothing is idle yet

        _clock.Advance(VersionCache.IdleAge);
        await cache.GetAsync(versions[^1], LayOut([]));

        Directory.GetDirectories(_root).Select(Path.GetFileName).ShouldBe(versions.TakeLast(4).Select(v => v.ToString("N")), ignoreOrder: true);
    }
}
