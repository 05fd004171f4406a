using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Backup;

/// <summary>What a backup holds: its format, the last migration of its database, and a SHA-256 per file.</summary>
public sealed record BackupManifest(int Format, DateTimeOffset CreatedAt, string LastMigration, IReadOnlyList<BackupFile> Files);

public sealed record BackupFile(string Path, long Bytes, string Sha256);

/// <summary>
/// A consistent snapshot of the embedded deployment — the SQLite database (SQLite's online backup, so the app may keep
/// writing) and the file-system artifact store — as one zip with a manifest of hashes; and its restore into an empty
/// data folder, every file checked against the manifest before anything is put in place. Server databases and blob
/// stores are backed up with their own tools (pg_dump, SQL Server backups, blob snapshots).
/// </summary>
public static class Backup
{
    public const int Format = 1;
    private const string ManifestName = "manifest.json";
    private const string DatabaseEntry = "database/transferhub.db";
    private const string ArtifactsPrefix = "artifacts/";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the backup of the database at <paramref name="databasePath"/> and the artifact folder to <paramref name="output"/>.</summary>
    public static async Task<BackupManifest> CreateAsync(string databasePath, string artifactsFolder, string output, TimeProvider clock, CancellationToken ct)
    {
        if (!File.Exists(databasePath))
        {
            throw new BackupRefusedException($"There is no database at {databasePath}: check Data:Root (the app creates it at its first start).");
        }
        var work = Path.Combine(Path.GetTempPath(), $"th-backup-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var snapshot = Path.Combine(work, "transferhub.db");
            using (var source = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=false"))
            using (var target = new SqliteConnection($"Data Source={snapshot};Pooling=false"))
            {
                source.Open();
                target.Open();
                source.BackupDatabase(target); // one consistent state, however busy the app is
            }
            string lastMigration;
            await using (var db = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={snapshot};Pooling=false").Options))
            {
                lastMigration = (await db.Database.GetAppliedMigrationsAsync(ct)).LastOrDefault()
                    ?? throw new InvalidOperationException($"{databasePath} is not a TransferHub database (no migration applied).");
            }
            var files = new List<(string Entry, string Source)> { (DatabaseEntry, snapshot) };
            if (Directory.Exists(artifactsFolder))
            {
                files.AddRange(Directory.EnumerateFiles(artifactsFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    .Select(f => (ArtifactsPrefix + Path.GetRelativePath(artifactsFolder, f).Replace('\\', '/'), f)));
            }
            var listed = new List<BackupFile>();
            BackupManifest manifest;
            var partial = output + ".partial";
            await using (var stream = File.Create(partial))
            using (var zip = new ZipArchive(stream, ZipArchiveMode.Create))
            {
                foreach (var (entry, source) in files)
                {
                    await using var input = File.OpenRead(source);
                    await using var written = await zip.CreateEntry(entry, CompressionLevel.Fastest).OpenAsync(ct);
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[81920];
                    int read;
                    long bytes = 0;
                    while ((read = await input.ReadAsync(buffer, ct)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await written.WriteAsync(buffer.AsMemory(0, read), ct);
                        bytes += read;
                    }
                    listed.Add(new BackupFile(entry, bytes, Convert.ToHexStringLower(hash.GetHashAndReset())));
                }
                manifest = new BackupManifest(Format, clock.GetUtcNow(), lastMigration, listed);
                await using var manifestStream = await zip.CreateEntry(ManifestName).OpenAsync(ct);
                await JsonSerializer.SerializeAsync(manifestStream, manifest, Json, ct);
            }
            File.Move(partial, output, overwrite: true);
            return manifest;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Restores <paramref name="backupFile"/> into <paramref name="dataRoot"/> (which must be empty or absent): the
    /// database at <paramref name="databasePath"/> and the artifacts under <paramref name="artifactsFolder"/>. Throws
    /// <see cref="BackupRefusedException"/> with the reason for a damaged, truncated, foreign or newer backup.
    /// </summary>
    public static async Task<BackupManifest> RestoreAsync(string backupFile, string dataRoot, string databasePath, string artifactsFolder, CancellationToken ct)
    {
        if (Directory.Exists(dataRoot) && Directory.EnumerateFileSystemEntries(dataRoot).Any())
        {
            throw new BackupRefusedException($"{dataRoot} is not empty: restore into an empty data folder (nothing there was changed).");
        }
        var staging = Path.Combine(Path.GetTempPath(), $"th-restore-{Guid.NewGuid():N}");
        try
        {
            BackupManifest manifest;
            try
            {
                using var zip = ZipFile.OpenRead(backupFile);
                manifest = await ReadManifestAsync(zip, ct);
                var known = SqliteMigrations();
                if (!known.Contains(manifest.LastMigration))
                {
                    throw new BackupRefusedException($"The backup's database is at migration {manifest.LastMigration}, which this version does not know: restore it with the version that made it, or a newer one.");
                }
                foreach (var file in manifest.Files)
                {
                    var target = StagedPath(staging, file.Path);
                    var entry = zip.GetEntry(file.Path) ?? throw new BackupRefusedException($"The backup lists {file.Path} but does not contain it.");
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await using (var input = await entry.OpenAsync(ct))
                    await using (var output = File.Create(target))
                    {
                        await input.CopyToAsync(output, ct);
                    }
                    await using var check = File.OpenRead(target);
                    if (Convert.ToHexStringLower(await SHA256.HashDataAsync(check, ct)) != file.Sha256)
                    {
                        throw new BackupRefusedException($"{file.Path} does not match its SHA-256 in the manifest: the backup is damaged.");
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException and not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new BackupRefusedException($"{Path.GetFileName(backupFile)} is not a readable backup (truncated or damaged: {e.Message}).", e);
            }
            Directory.CreateDirectory(dataRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
            File.Move(StagedPath(staging, DatabaseEntry), databasePath);
            var stagedArtifacts = Path.Combine(staging, "artifacts");
            if (Directory.Exists(stagedArtifacts))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(artifactsFolder))!);
                Directory.Move(stagedArtifacts, artifactsFolder);
            }
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static async Task<BackupManifest> ReadManifestAsync(ZipArchive zip, CancellationToken ct)
    {
        var entry = zip.GetEntry(ManifestName) ?? throw new BackupRefusedException("No manifest.json: this is not a TransferHub backup.");
        BackupManifest? manifest;
        try
        {
            await using var stream = await entry.OpenAsync(ct);
            manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(stream, Json, ct);
        }
        catch (JsonException e)
        {
            throw new BackupRefusedException($"manifest.json cannot be read: {e.Message}", e);
        }
        if (manifest is null || manifest.Files is null)
        {
            throw new BackupRefusedException("manifest.json is empty: this is not a TransferHub backup.");
        }
        if (manifest.Format > Format)
        {
            throw new BackupRefusedException($"This backup has format {manifest.Format}, made by a newer TransferHub (this one reads format {Format}).");
        }
        if (!manifest.Files.Any(f => f.Path == DatabaseEntry))
        {
            throw new BackupRefusedException("The backup holds no database.");
        }
        return manifest;
    }

    /// <summary>An entry's place in the staging folder; a name that would leave it (../, absolute) refuses the backup.</summary>
    private static string StagedPath(string staging, string entry)
    {
        var full = Path.GetFullPath(Path.Combine(staging, entry));
        if (!full.StartsWith(Path.GetFullPath(staging) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || !(entry == DatabaseEntry || entry.StartsWith(ArtifactsPrefix, StringComparison.Ordinal)))
        {
            throw new BackupRefusedException($"The backup names a file outside its folders ({entry}).");
        }
        return full;
    }

    private static HashSet<string> SqliteMigrations()
    {
        using var db = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=:memory:").Options);
        return [.. db.Database.GetMigrations()];
    }
}

/// <summary>A backup that cannot be restored, with the reason a person reads.</summary>
public sealed class BackupRefusedException(string message, Exception? inner = null) : Exception(message, inner);
