namespace TransferHub.Web.Features.Backup;

/// <summary>
/// <c>TransferHub.Web backup --out FILE</c> and <c>TransferHub.Web restore --from FILE</c>, with the app's own settings
/// (data folder, database, artifact store). Exit codes: 0 done, 2 refused (the reason is printed), 64 wrong usage.
/// </summary>
public static class BackupCommand
{
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, string dataRoot, TextWriter output, CancellationToken ct)
    {
        if (EmbeddedData.Resolve(configuration, dataRoot) is not { } data)
        {
            await output.WriteLineAsync(EmbeddedData.NotEmbedded);
            return 2;
        }
        var (databasePath, artifactsFolder) = data;
        var file = Option(args, args[0] == "backup" ? "--out" : "--from");
        if (file is null)
        {
            await output.WriteLineAsync(args[0] == "backup" ? "usage: TransferHub.Web backup --out FILE.zip" : "usage: TransferHub.Web restore --from FILE.zip");
            return 64;
        }
        try
        {
            var manifest = args[0] == "backup"
                ? await Backup.CreateAsync(databasePath, artifactsFolder, file, TimeProvider.System, ct)
                : await Backup.RestoreAsync(file, dataRoot, databasePath, artifactsFolder, ct);
            await output.WriteLineAsync($"{(args[0] == "backup" ? "Backed up" : "Restored")} {manifest.Files.Count} files ({manifest.Files.Sum(f => f.Bytes):N0} bytes, " +
                $"database at {manifest.LastMigration}) {(args[0] == "backup" ? "to" : "from")} {file}.");
            return 0;
        }
        catch (BackupRefusedException e)
        {
            await output.WriteLineAsync($"Refused: {e.Message}");
            return 2;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
