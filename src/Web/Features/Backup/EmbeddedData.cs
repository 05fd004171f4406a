using Microsoft.Data.Sqlite;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Common;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Backup;

/// <summary>Where the embedded deployment keeps its data: the SQLite file and the file-system artifact folder.</summary>
public sealed record EmbeddedData(string DatabasePath, string ArtifactsFolder)
{
    public const string NotEmbedded = "Backups cover the embedded deployment (SQLite and the file-system artifact store). " +
        "Back up a PostgreSQL or SQL Server database with its own tools (pg_dump, BACKUP DATABASE) and the blob container with its snapshots.";

    /// <summary>The paths from the app's settings, or null when the deployment is not the embedded one.</summary>
    public static EmbeddedData? Resolve(IConfiguration configuration, string dataRoot)
    {
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var artifacts = configuration.GetSection(ArtifactStoreOptions.Section).Get<ArtifactStoreOptions>() ?? new ArtifactStoreOptions();
        if (database.Provider != DatabaseProvider.Sqlite || artifacts.Provider != ArtifactProvider.FileSystem)
        {
            return null;
        }
        var connection = configuration.GetConnectionString(Names.Database);
        var databasePath = string.IsNullOrWhiteSpace(connection) ? Path.Combine(dataRoot, "transferhub.db") : new SqliteConnectionStringBuilder(connection).DataSource;
        return new EmbeddedData(databasePath, Path.Combine(dataRoot, artifacts.Path));
    }
}
