using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Admin;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Backup;

/// <summary>
/// Backups the running app writes into its backup folder (the Admin page, the API, the schedule): one at a time, each
/// a consistent copy (<see cref="Backup.CreateAsync"/>), the oldest beyond <see cref="BackupOptions.Keep"/> deleted
/// after each new one. Files are named by their UTC time, so the folder lists in order and a name can be checked.
/// </summary>
public sealed partial class BackupService
{
    private readonly EmbeddedData? _data;
    private readonly BackupOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<BackupService> _logger;
    private readonly SemaphoreSlim _writing = new(1, 1);

    public BackupService(IConfiguration configuration, string dataRoot, IOptions<BackupOptions> options, TimeProvider clock, ILogger<BackupService> logger)
    {
        _data = EmbeddedData.Resolve(configuration, dataRoot);
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        Folder = Path.GetFullPath(Path.Combine(dataRoot, _options.Folder));
        if (_data is not null && IsInside(Folder, Path.GetFullPath(_data.ArtifactsFolder)))
        {
            throw new OptionsValidationException(BackupOptions.Section, typeof(BackupOptions),
                [$"Backup:Folder ({Folder}) is inside the artifact store: each backup would contain the ones before it."]);
        }
    }

    /// <summary>The folder backups are written to.</summary>
    public string Folder { get; }

    /// <summary>True when this deployment can back itself up (SQLite and file-system artifacts).</summary>
    public bool Supported => _data is not null;

    /// <summary>When the schedule runs next and why its last run failed; set by <see cref="ScheduledBackups"/>.</summary>
    public (DateTimeOffset? NextAt, string? LastError) Schedule { get; internal set; }

    public BackupOverviewDto Overview() => new(Supported, Supported ? null : EmbeddedData.NotEmbedded,
        _options.Interval == TimeSpan.Zero ? null : _options.Interval, _options.Keep, Schedule.NextAt, Schedule.LastError, List());

    /// <summary>The backups in the folder, newest first.</summary>
    public IReadOnlyList<BackupDto> List() => !Directory.Exists(Folder) ? [] :
        Directory.EnumerateFiles(Folder, "transferhub-*.zip").Select(Path.GetFileName).OfType<string>().Select(n => NamePattern().Match(n))
            .Where(m => m.Success).OrderByDescending(m => m.Groups["stamp"].Value, StringComparer.Ordinal)
            .ThenByDescending(m => m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : 1)
            .Select(Describe).ToList();

    /// <summary>Writes a new backup now. 409 when the deployment is not the embedded one or another backup is being written.</summary>
    public async Task<BackupDto> CreateAsync(CancellationToken ct)
    {
        var data = _data ?? throw new ConflictException(EmbeddedData.NotEmbedded);
        if (!await _writing.WaitAsync(0, ct))
        {
            throw new ConflictException("A backup is being written; wait for it to finish.");
        }
        try
        {
            Directory.CreateDirectory(Folder);
            var stamp = _clock.GetUtcNow().ToString(StampFormat, CultureInfo.InvariantCulture);
            var path = Path.Combine(Folder, $"transferhub-{stamp}.zip");
            for (var n = 2; File.Exists(path); n++)
            {
                path = Path.Combine(Folder, $"transferhub-{stamp}-{n}.zip"); // two in one second
            }
            BackupManifest manifest;
            try
            {
                manifest = await Backup.CreateAsync(data.DatabasePath, data.ArtifactsFolder, path, _clock, ct);
            }
            catch
            {
                File.Delete(path + ".partial"); // a cancelled or failed backup leaves nothing behind
                throw;
            }
            LogWritten(_logger, path, manifest.Files.Count, new FileInfo(path).Length);
            Prune();
            return Describe(NamePattern().Match(Path.GetFileName(path)));
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>The backup file of that name; 404 for a name that is not one of ours or no longer there.</summary>
    public FileInfo Get(string name)
    {
        var file = NamePattern().IsMatch(name) ? new FileInfo(Path.Combine(Folder, name)) : null;
        return file is { Exists: true } ? file : throw new NotFoundException($"No backup named '{name}'.");
    }

    public void Delete(string name) => Get(name).Delete();

    private void Prune()
    {
        foreach (var old in List().Skip(_options.Keep))
        {
            File.Delete(Path.Combine(Folder, old.Name));
            LogPruned(_logger, old.Name, _options.Keep);
        }
    }

    // The time is the one in the name: the app's clock when it was written, whatever the file system says later.
    private BackupDto Describe(Match name) => new(name.Value, new FileInfo(Path.Combine(Folder, name.Value)).Length,
        DateTimeOffset.ParseExact(name.Groups["stamp"].Value, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));

    private static bool IsInside(string folder, string parent) =>
        (folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar).StartsWith(parent.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private const string StampFormat = "yyyyMMdd-HHmmss";

    [GeneratedRegex(@"^transferhub-(?<stamp>\d{8}-\d{6})(-(?<n>\d{1,4}))?\.zip$")]
    private static partial Regex NamePattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup written to {Path}: {Files} files, {Bytes} bytes")]
    private static partial void LogWritten(ILogger logger, string path, int files, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup {Name} deleted: the folder keeps the newest {Keep}")]
    private static partial void LogPruned(ILogger logger, string name, int keep);
}
