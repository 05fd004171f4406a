using Microsoft.EntityFrameworkCore;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web.Data;

/// <summary>Each provider keeps its own migrations; a model change without a migration for either fails here.</summary>
public sealed class MigrationsTests
{
    [Fact]
    public void SqliteMigrationsMatchTheModel()
    {
        using var db = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=:memory:").Options);

        db.Database.HasPendingModelChanges().ShouldBeFalse("run: dotnet ef migrations add NAME --project src/Web --context SqliteAppDbContext --output-dir Data/Migrations/Sqlite");
    }

    [Fact]
    public void SqlServerMigrationsMatchTheModel()
    {
        using var db = new SqlServerAppDbContext(new DbContextOptionsBuilder<SqlServerAppDbContext>().UseSqlServer("Server=unused;Database=unused").Options);

        db.Database.HasPendingModelChanges().ShouldBeFalse("run: dotnet ef migrations add NAME --project src/Web --context SqlServerAppDbContext --output-dir Data/Migrations/SqlServer");
    }

    [Fact]
    public void BothProvidersHaveTheSameMigrations()
    {
        using var sqlite = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=:memory:").Options);
        using var sqlServer = new SqlServerAppDbContext(new DbContextOptionsBuilder<SqlServerAppDbContext>().UseSqlServer("Server=unused;Database=unused").Options);

        static IEnumerable<string> Names(DbContext db) => db.Database.GetMigrations().Select(m => m[15..]);

        Names(sqlite).ShouldBe(Names(sqlServer));
    }

    [Fact]
    public async Task SqliteMigrationsApplyToAnEmptyDatabase()
    {
        var path = Path.Combine(Path.GetTempPath(), $"th-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={path};Pooling=false").Options);

            await db.Database.MigrateAsync();

            (await db.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
            (await db.Projects.CountAsync()).ShouldBe(0);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
