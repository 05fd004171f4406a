namespace TransferHub.Shared.Admin;

/// <summary>One backup file in the server's backup folder.</summary>
/// <param name="Name">The file name (<c>transferhub-20261205-101500.zip</c>); the download route takes it.</param>
/// <param name="Bytes">Size of the zip.</param>
/// <param name="CreatedAt">When it was written.</param>
public sealed record BackupDto(string Name, long Bytes, DateTimeOffset CreatedAt);

/// <summary>What the backup page shows above the list: whether this deployment can back itself up, and the schedule.</summary>
/// <param name="Supported">True for the embedded deployment (SQLite and the file-system artifact store).</param>
/// <param name="Message">Why not, when not supported: which tools back up the deployment instead.</param>
/// <param name="Interval">How often a scheduled backup runs; null when there is no schedule (<c>Backup:Interval</c> is 0).</param>
/// <param name="Keep">How many backups the folder keeps; older ones are deleted after each new one.</param>
/// <param name="NextAt">When the next scheduled backup runs, if any.</param>
/// <param name="LastError">Why the last scheduled backup failed, until one succeeds.</param>
/// <param name="Backups">The backups in the folder, newest first.</param>
public sealed record BackupOverviewDto(bool Supported, string? Message, TimeSpan? Interval, int Keep, DateTimeOffset? NextAt, string? LastError,
    IReadOnlyList<BackupDto> Backups);
