namespace TransferHub.Web.Data;

public enum DatabaseProvider
{
    Sqlite,
    SqlServer,
    PostgreSql,
}

/// <summary>Configuration section <c>Database</c>; the connection string is <c>ConnectionStrings:TransferHub</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations before serving. On for the embedded default; a deployment
    /// with several web nodes may turn it off and migrate once from its pipeline.</summary>
    public bool ApplyMigrationsOnStartup { get; set; } = true;
}
