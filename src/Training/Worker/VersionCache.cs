namespace TransferHub.Training.Worker;

/// <summary>
/// Dataset versions laid out once per worker machine, with their decoded-tensor cache beside them: versions are
/// immutable, and an experiment trains arms × seeds × fractions runs on the same one. A version appears in the cache
/// only complete (laid out in a staging folder, then moved in one rename), so worker processes sharing a work
/// directory never see half of one. Versions unused for <see cref="IdleAge"/> are removed, keeping the newest few.
/// </summary>
public sealed class VersionCache(string root, TimeProvider clock)
{
    private const string DataPathFile = "data-path.txt";
    private const int Keep = 4;
    public static readonly TimeSpan IdleAge = TimeSpan.FromHours(6);

    /// <summary>The version's data path (ImageFolder root or train.jsonl), laying it out with <paramref name="layOut"/> on a miss.</summary>
    /// <param name="layOut">Writes the version into the folder it is given and returns the data path.</param>
    public async Task<CachedVersion> GetAsync(Guid versionId, Func<string, Task<string>> layOut)
    {
        var folder = Path.Combine(root, versionId.ToString("N"));
        var marker = Path.Combine(folder, DataPathFile);
        if (!File.Exists(marker))
        {
            var staging = Path.Combine(root, $"{versionId:N}.{Guid.NewGuid():N}.staging");
            Directory.CreateDirectory(staging);
            try
            {
                var data = await layOut(staging);
                await File.WriteAllTextAsync(Path.Combine(staging, DataPathFile), Path.GetRelativePath(staging, data));
                Directory.Move(staging, folder);
            }
            catch (IOException) when (File.Exists(marker))
            {
                // Another worker process laid the same version out first: use theirs.
            }
            finally
            {
                RunExecutor.TryDelete(staging);
            }
        }
        Directory.SetLastWriteTimeUtc(folder, clock.GetUtcNow().UtcDateTime); // "recently used", for the pruning below
        Prune(except: folder);
        return new CachedVersion(Path.Combine(folder, await File.ReadAllTextAsync(marker)), Path.Combine(folder, "cache"));
    }

    private void Prune(string except)
    {
        var idle = clock.GetUtcNow().UtcDateTime - IdleAge;
        var folders = new DirectoryInfo(root).EnumerateDirectories().ToList();
        // Staging folders have a dot in their name; an old one was left by a worker that died while laying out.
        var versions = folders.Where(d => !d.Name.Contains('.', StringComparison.Ordinal)).OrderByDescending(d => d.LastWriteTimeUtc).ToList();
        var abandoned = folders.Where(d => d.Name.Contains('.', StringComparison.Ordinal) && d.LastWriteTimeUtc < idle);
        foreach (var stale in versions.Skip(Keep).Where(d => d.LastWriteTimeUtc < idle && d.FullName != except).Concat(abandoned))
        {
            RunExecutor.TryDelete(stale.FullName);
        }
    }
}

/// <summary>Where a cached version's data is, and the folder for its decoded tensors.</summary>
public sealed record CachedVersion(string Data, string TensorCache);
