using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TransferHub.Web.Data;

/// <summary>
/// Every SQLite connection waits for a lock instead of failing at once, and commits without a full
/// fsync per transaction (safe with WAL: a power cut can lose the last commits, never corrupt the file).
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
