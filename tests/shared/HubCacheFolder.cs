using System.Security.Cryptography;
using System.Text;

namespace TransferHub.Tests.Support;

/// <summary>
/// Writes repositories into a folder laid out as <c>huggingface_hub</c> lays out its cache: <c>models--{owner}--{name}/</c>
/// with <c>blobs/{etag}</c> (SHA-256 for weight files kept in LFS, git's blob SHA-1 for small files), <c>snapshots/{commit}/{file}</c>
/// as relative links to the blobs, and <c>refs/{branch}</c> holding the commit. Linked into the unit and e2e test projects.
/// </summary>
public static class HubCacheFolder
{
    /// <summary>Adds <paramref name="repo"/> at <paramref name="branch"/>; returns the commit its snapshot is under.</summary>
    public static string Add(string root, string repo, IReadOnlyDictionary<string, byte[]> files, string branch = "main")
    {
        var folder = Path.Combine(root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repo + branch + files.Count)));
        foreach (var (path, bytes) in files)
        {
            var etag = IsLfs(path) ? Convert.ToHexStringLower(SHA256.HashData(bytes)) : GitBlobSha1(bytes);
            var blob = Path.Combine(folder, "blobs", etag);
            Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
            File.WriteAllBytes(blob, bytes);
            var entry = Path.Combine(folder, "snapshots", commit, path);
            Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            File.CreateSymbolicLink(entry, Path.GetRelativePath(Path.GetDirectoryName(entry)!, blob));
        }
        Directory.CreateDirectory(Path.Combine(folder, "refs"));
        File.WriteAllText(Path.Combine(folder, "refs", branch), commit);
        return commit;
    }

    /// <summary>The blob behind a snapshot file, to damage it as a bad copy would.</summary>
    public static string BlobOf(string root, string repo, string commit, string path)
    {
        var entry = Path.Combine(root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal), "snapshots", commit, path);
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(entry)!, new FileInfo(entry).LinkTarget!));
    }

    private static bool IsLfs(string path) => Path.GetExtension(path) is ".safetensors" or ".onnx" or ".bin";

    private static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
}
