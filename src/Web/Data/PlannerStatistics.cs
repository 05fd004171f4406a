using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace TransferHub.Web.Data;

/// <summary>
/// After a bulk change PostgreSQL's planner keeps the old picture of a table until autovacuum gets to it (a minute or
/// more): right after importing 20 000 items it still planned for 7 rows, and the labeling queue's query took 340 ms
/// instead of a few (docs/benchmarks.md). SQLite and SQL Server need nothing here.
/// </summary>
public static class PlannerStatistics
{
    public static async Task RefreshAfterImportAsync(this DatabaseFacade database, CancellationToken ct)
    {
        if (database.IsNpgsql())
        {
            await database.ExecuteSqlRawAsync("ANALYZE \"Items\", \"Annotations\"", ct);
        }
    }
}
