using System.Runtime.CompilerServices;

namespace TransferHub.Registry.Features.Artifacts;

/// <summary>
/// Artifacts as files under a root folder. A write goes to a temporary file first and is moved into
/// place, so readers never see half an artifact. The SHA-256 is kept beside it under <c>.meta/</c>.
/// </summary>
public sealed class FileSystemArtifactStore : IArtifactStore
{
    private const string MetaFolder = ".meta";
    private const string TempFolder = ".tmp";
    private readonly string _root;

    public FileSystemArtifactStore(string root)
    {
        _root = System.IO.Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public async Task<ArtifactInfo> PutAsync(string key, Stream content, CancellationToken ct)
    {
        var path = PathOf(key);
        var tempDir = Directory.CreateDirectory(System.IO.Path.Combine(_root, TempFolder)).FullName;
        var temp = System.IO.Path.Combine(tempDir, Guid.NewGuid().ToString("N"));
        try
        {
            using var hashing = new HashingStream(content);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await hashing.CopyToAsync(file, ct);
            }
            var info = new ArtifactInfo(key, hashing.BytesRead, hashing.Sha256Hex());
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var meta = MetaPathOf(key);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(meta)!);
            // Hash first: a reader that finds the file must find its hash too.
            await File.WriteAllTextAsync(meta, info.Sha256, ct);
            File.Move(temp, path, overwrite: true);
            return info;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactNotFoundException(key);
        }
    }

    public async Task<ArtifactInfo?> GetInfoAsync(string key, CancellationToken ct)
    {
        var file = new FileInfo(PathOf(key));
        return file.Exists ? new ArtifactInfo(key, file.Length, await ReadHashAsync(key, ct)) : null;
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        File.Delete(MetaPathOf(key));
        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<ArtifactInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArtifactKey.ValidatePrefix(prefix);
        var keys = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Select(p => System.IO.Path.GetRelativePath(_root, p).Replace(System.IO.Path.DirectorySeparatorChar, '/'))
            .Where(k => !k.StartsWith(MetaFolder + "/", StringComparison.Ordinal) && !k.StartsWith(TempFolder + "/", StringComparison.Ordinal))
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            ct.ThrowIfCancellationRequested();
            var info = await GetInfoAsync(key, ct);
            if (info is not null)
            {
                yield return info;
            }
        }
    }

    public async Task CheckHealthAsync(CancellationToken ct)
    {
        var probe = System.IO.Path.Combine(Directory.CreateDirectory(System.IO.Path.Combine(_root, TempFolder)).FullName, "health-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(probe, "ok", ct);
        File.Delete(probe);
    }

    private async Task<string> ReadHashAsync(string key, CancellationToken ct)
    {
        var meta = MetaPathOf(key);
        if (File.Exists(meta))
        {
            return (await File.ReadAllTextAsync(meta, ct)).Trim();
        }
        // A file placed by hand has no hash yet: compute and keep it.
        await using var stream = File.OpenRead(PathOf(key));
        var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, ct));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(meta)!);
        await File.WriteAllTextAsync(meta, hash, ct);
        return hash;
    }

    private string PathOf(string key)
    {
        ArtifactKey.Validate(key);
        var first = key.Split('/')[0];
        if (first is MetaFolder or TempFolder)
        {
            throw new ArgumentException($"Artifact key '{key}' uses a reserved folder.", nameof(key));
        }
        return System.IO.Path.Combine(_root, key.Replace('/', System.IO.Path.DirectorySeparatorChar));
    }

    private string MetaPathOf(string key) =>
        System.IO.Path.Combine(_root, MetaFolder, key.Replace('/', System.IO.Path.DirectorySeparatorChar) + ".sha256");
}
