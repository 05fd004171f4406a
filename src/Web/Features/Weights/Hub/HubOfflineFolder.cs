using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace TransferHub.Web.Features.Weights.Hub;

/// <summary>
/// Repositories in a folder laid out like the Hub's own cache (what <c>huggingface_hub</c> writes):
/// <c>models--{owner}--{name}/refs/{branch}</c> holds a commit, <c>snapshots/{commit}/…</c> the files, each a link to
/// <c>blobs/{etag}</c> — the SHA-256 for LFS files, the git blob SHA-1 for small ones. Both are checked before a file is used,
/// so a copied cache that was damaged on the way is refused, as a download with a wrong checksum would be.
/// </summary>
public sealed partial class HubOfflineFolder(string root)
{
    public string Root { get; } = root;

    /// <summary>The repositories present, as <c>owner/name</c>.</summary>
    public IReadOnlySet<string> Repos() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root, "models--*").Select(d => RepoOf(Path.GetFileName(d))).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>();

    /// <summary>The repository's files at <paramref name="revision"/> (a branch or tag under refs/, or a commit), or null when it is not here.</summary>
    public IReadOnlyList<HubFile>? TryList(string repo, string revision)
    {
        var folder = Path.Combine(Root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));
        if (!Directory.Exists(folder))
        {
            return null;
        }
        var refFile = Path.Combine(folder, "refs", revision);
        var commit = File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : revision;
        if (!Commit().IsMatch(commit))
        {
            return null;
        }
        var snapshot = Path.Combine(folder, "snapshots", commit);
        if (!Directory.Exists(snapshot))
        {
            return null;
        }
        return [.. Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(f => new HubFile(Path.GetRelativePath(snapshot, f).Replace('\\', '/'), SizeOf(f), null, f))];
    }

    // A snapshot entry is a link: its own length is the link's, the file's is its target's.
    private static long SizeOf(string path)
    {
        var entry = new FileInfo(path);
        return (entry.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? entry).Length;
    }

    /// <summary>
    /// Checks a file against the blob name its snapshot entry links to, and returns the path to read.
    /// A snapshot file that is not a link into blobs/ (a cache copied without links) has no recorded hash and is used as it is.
    /// </summary>
    public static async Task<string> VerifyAsync(HubFile file, CancellationToken ct)
    {
        var path = file.LocalPath!;
        var link = new FileInfo(path).LinkTarget;
        var etag = link is not null && Path.GetFileName(Path.GetDirectoryName(link)) == "blobs" ? Path.GetFileName(link) : null;
        if (etag is null)
        {
            return path;
        }
        string actual;
        await using (var stream = File.OpenRead(path))
        {
            actual = etag.Length == 64 ? Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct)) : await GitBlobSha1Async(stream, ct);
        }
        if (!actual.Equals(etag, StringComparison.OrdinalIgnoreCase))
        {
            throw new HubException($"{file.Path} in the offline folder does not match its blob name ({actual[..12]}… where the cache records {etag[..Math.Min(12, etag.Length)]}…): the copy is damaged; copy the repository again.", HttpStatusCode.UnprocessableEntity);
        }
        return path;
    }

    // Git names a blob by SHA-1 of "blob {size}\0" followed by the content; the Hub's cache uses it for files kept outside LFS.
    private static async Task<string> GitBlobSha1Async(Stream stream, CancellationToken ct)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            sha1.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private static string? RepoOf(string folderName)
    {
        var parts = folderName.Split("--");
        return parts.Length == 3 ? $"{parts[1]}/{parts[2]}" : null;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex Commit();
}
