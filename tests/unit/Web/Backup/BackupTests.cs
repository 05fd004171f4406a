using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Tests.Unit.Integration;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Backup;

namespace TransferHub.Tests.Unit.Web.Backup;

/// <summary>
/// A backup of a running app (SQLite and its artifact folder) restored into a fresh data folder gives the same
/// projects, items, labels and files; damaged, foreign or newer backups and a non-empty target are refused, untouched.
/// </summary>
public sealed class BackupTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>, IDisposable
{
    private readonly string _work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"th-backup-test-{Guid.NewGuid():N}")).FullName;

    private string Database => Path.Combine(factory.DataRoot, "transferhub.db");
    private string Artifacts => Path.Combine(factory.DataRoot, "artifacts");

    private async Task<string> BackupOfAnAppWithImagesAsync()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image, LabelTask.SingleLabel, 0, "red", "blue");
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, colour) in new[] { ("red/a.png", SKColors.Red), ("red/b.png", SKColors.DarkRed), ("blue/c.png", SKColors.Blue) })
            {
                await using var entry = await archive.CreateEntry(name).OpenAsync();
                await entry.WriteAsync(TestImages.Solid(16, 16, colour));
            }
        }
        (await s.ImportAsync(dataset.Id, [("images.zip", zip.ToArray())])).Added.ShouldBe(3);
        var file = Path.Combine(_work, "backup.zip");
        await global::TransferHub.Web.Features.Backup.Backup.CreateAsync(Database, Artifacts, file, TimeProvider.System, CancellationToken.None);
        return file;
    }

    [Fact]
    public async Task ARestoreIntoAFreshFolderGivesTheSameProjectsItemsLabelsAndFiles()
    {
        var file = await BackupOfAnAppWithImagesAsync();
        var root = Path.Combine(_work, "restored");

        var manifest = await global::TransferHub.Web.Features.Backup.Backup.RestoreAsync(file, root, Path.Combine(root, "transferhub.db"), Path.Combine(root, "artifacts"), CancellationToken.None);

        await using var before = Open(Database);
        await using var after = Open(Path.Combine(root, "transferhub.db"));
        (await after.Projects.Select(p => p.Name).OrderBy(n => n).ToListAsync()).ShouldBe(await before.Projects.Select(p => p.Name).OrderBy(n => n).ToListAsync());
        (await after.Items.Select(i => i.ContentHash).OrderBy(h => h).ToListAsync()).ShouldBe(await before.Items.Select(i => i.ContentHash).OrderBy(h => h).ToListAsync());
        (await after.Annotations.CountAsync()).ShouldBe(await before.Annotations.CountAsync());
        (await after.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
        var files = Directory.EnumerateFiles(Artifacts, "*", SearchOption.AllDirectories).ToList();
        files.Count.ShouldBeGreaterThanOrEqualTo(3);
        foreach (var original in files)
        {
            var copy = Path.Combine(root, "artifacts", Path.GetRelativePath(Artifacts, original));
            Hash(copy).ShouldBe(Hash(original));
        }
        manifest.Files.Count.ShouldBe(files.Count + 1); // and the database
    }

    [Fact]
    public async Task ANonEmptyTargetIsRefusedAndLeftAsItWas()
    {
        var file = await BackupOfAnAppWithImagesAsync();
        var root = Directory.CreateDirectory(Path.Combine(_work, "in-use")).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "keep.txt"), "mine");

        var error = await Should.ThrowAsync<BackupRefusedException>(() =>
            global::TransferHub.Web.Features.Backup.Backup.RestoreAsync(file, root, Path.Combine(root, "transferhub.db"), Path.Combine(root, "artifacts"), CancellationToken.None));

        error.Message.ShouldContain("not empty");
        Directory.EnumerateFileSystemEntries(root).ShouldHaveSingleItem().ShouldEndWith("keep.txt");
    }

    [Fact]
    public async Task ATruncatedATamperedANewerAndAHostileBackupAreRefusedLeavingNothingBehind()
    {
        var file = await BackupOfAnAppWithImagesAsync();
        var bytes = await File.ReadAllBytesAsync(file);
        var truncated = Write("truncated.zip", bytes[..(bytes.Length / 2)]);
        var tampered = Rewrite(file, "tampered.zip", zip => Replace(zip, zip.Entries.First(e => e.FullName.StartsWith("artifacts/", StringComparison.Ordinal)).FullName, "not the image"u8.ToArray()));
        var newer = Rewrite(file, "newer.zip", zip => Replace(zip, "manifest.json",
            Encoding.UTF8.GetBytes(ReadText(zip, "manifest.json").Replace("\"format\": 1", "\"format\": 2", StringComparison.Ordinal))));
        var hostile = Rewrite(file, "hostile.zip", zip =>
        {
            var manifest = ReadText(zip, "manifest.json").Replace("\"files\": [", "\"files\": [ { \"path\": \"../escaped.txt\", \"bytes\": 1, \"sha256\": \"00\" },", StringComparison.Ordinal);
            Replace(zip, "manifest.json", Encoding.UTF8.GetBytes(manifest));
        });
        var foreign = Write("foreign.zip", EmptyZip());

        foreach (var (bad, reason) in new[] { (truncated, "truncated or damaged"), (tampered, "does not match its SHA-256"), (newer, "newer TransferHub"),
                     (hostile, "outside its folders"), (foreign, "not a TransferHub backup") })
        {
            var root = Path.Combine(_work, $"target-{Path.GetFileNameWithoutExtension(bad)}");
            var error = await Should.ThrowAsync<BackupRefusedException>(() =>
                global::TransferHub.Web.Features.Backup.Backup.RestoreAsync(bad, root, Path.Combine(root, "transferhub.db"), Path.Combine(root, "artifacts"), CancellationToken.None));
            error.Message.ShouldContain(reason, Case.Insensitive, bad);
            Directory.Exists(root).ShouldBeFalse(bad); // nothing put in place
        }
        File.Exists(Path.Combine(_work, "escaped.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task TheCommandBacksUpAndRestoresWithTheAppsSettingsAndRefusesAServerDatabase()
    {
        await BackupOfAnAppWithImagesAsync();
        var file = Path.Combine(_work, "by-command.zip");
        var said = new StringWriter();
        var settings = new ConfigurationBuilder().AddInMemoryCollection([]).Build();

        (await BackupCommand.RunAsync(["backup", "--out", file], settings, factory.DataRoot, said, CancellationToken.None)).ShouldBe(0, said.ToString());
        var root = Path.Combine(_work, "by-command");
        (await BackupCommand.RunAsync(["restore", "--from", file], settings, root, said, CancellationToken.None)).ShouldBe(0, said.ToString());
        (await BackupCommand.RunAsync(["restore", "--from", file], settings, root, said, CancellationToken.None)).ShouldBe(2); // not empty any more
        (await BackupCommand.RunAsync(["backup"], settings, factory.DataRoot, said, CancellationToken.None)).ShouldBe(64);
        var postgres = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "PostgreSql" }).Build();
        (await BackupCommand.RunAsync(["backup", "--out", file], postgres, factory.DataRoot, said, CancellationToken.None)).ShouldBe(2);

        said.ToString().ShouldContain("Restored");
        said.ToString().ShouldContain("Refused: ");
        said.ToString().ShouldContain("pg_dump");
        File.Exists(Path.Combine(root, "transferhub.db")).ShouldBeTrue();
    }

    private static SqliteAppDbContext Open(string path) =>
        new(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={path};Pooling=false").Options);

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Rewrite(string source, string name, Action<ZipArchive> change)
    {
        var path = Path.Combine(_work, name);
        File.Copy(source, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            change(zip);
        }
        return path;
    }

    private static string ReadText(ZipArchive zip, string entry)
    {
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    private static void Replace(ZipArchive zip, string entry, byte[] content)
    {
        zip.GetEntry(entry)!.Delete();
        using var stream = zip.CreateEntry(entry).Open();
        stream.Write(content);
    }

    private static byte[] EmptyZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("readme.txt").Open();
            entry.Write("hello"u8);
        }
        return buffer.ToArray();
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
