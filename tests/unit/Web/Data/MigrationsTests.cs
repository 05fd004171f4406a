using Microsoft.EntityFrameworkCore;
using TransferHub.Tests.Support;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web.Data;

/// <summary>Each provider keeps its own migrations; a model change without a migration for any of them fails here.</summary>
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
    public void PostgresMigrationsMatchTheModel()
    {
        using var db = Postgres("Host=unused;Database=unused");

        db.Database.HasPendingModelChanges().ShouldBeFalse("run: dotnet ef migrations add NAME --project src/Web --context PostgresAppDbContext --output-dir Data/Migrations/Postgres");
    }

    [Fact]
    public void EveryProviderHasTheSameMigrations()
    {
        using var sqlite = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=:memory:").Options);
        using var sqlServer = new SqlServerAppDbContext(new DbContextOptionsBuilder<SqlServerAppDbContext>().UseSqlServer("Server=unused;Database=unused").Options);
        using var postgres = Postgres("Host=unused;Database=unused");

        static List<string> Names(DbContext db) => [.. db.Database.GetMigrations().Select(m => m[15..])];

        Names(sqlite).ShouldBe(Names(sqlServer));
        // PostgreSQL joined later with one baseline of the whole model; every migration after it exists for all three.
        var postgresNames = Names(postgres);
        postgresNames[0].ShouldBe("PostgresBaseline");
        var sqliteIds = sqlite.Database.GetMigrations().ToList();
        var baselineId = postgres.Database.GetMigrations().First();
        sqliteIds.Where(id => string.CompareOrdinal(id, baselineId) > 0).Select(id => id[15..]).ShouldBe(postgresNames.Skip(1));
    }

    [Fact]
    public async Task PostgresMigrationsApplyToAnEmptyServerDatabase()
    {
        var server = await PostgresServer.Shared;
        await using var db = Postgres(await server.CreateDatabaseAsync());

        await db.Database.MigrateAsync();

        (await db.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
        (await db.Projects.CountAsync()).ShouldBe(0);
        // The one-Production filtered index is written in a dialect PostgreSQL accepts.
        var indexes = await db.Database.SqlQueryRaw<string>("SELECT indexdef AS \"Value\" FROM pg_indexes WHERE indexname = 'IX_ModelVersions_OneProduction'").ToListAsync();
        indexes.ShouldHaveSingleItem().ShouldContain("WHERE");
    }

    private static PostgresAppDbContext Postgres(string connectionString) =>
        new(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connectionString).Options);

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
