using Microsoft.EntityFrameworkCore;
using TransferHub.Tests.Support;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web;

/// <summary>
/// A migrated database of its own, for tests of services below the HTTP layer: a SQLite file, or with
/// <c>TH_TEST_DATABASE=PostgreSql</c> a fresh database on the shared throwaway PostgreSQL server.
/// </summary>
public sealed class TestDatabase : IDbContextFactory<AppDbContext>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"th-test-{Guid.NewGuid():N}.db");
    private readonly Func<AppDbContext> _create;

    public TestDatabase()
    {
        if (PostgresServer.Requested)
        {
            Provider = DatabaseProvider.PostgreSql;
            var connectionString = PostgresServer.Shared.GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult();
            var options = new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connectionString).Options;
            _create = () => new PostgresAppDbContext(options);
        }
        else
        {
            var options = new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={_path};Pooling=false").Options;
            _create = () => new SqliteAppDbContext(options);
        }
        using var db = CreateDbContext();
        db.Database.Migrate();
    }

    public DatabaseProvider Provider { get; } = DatabaseProvider.Sqlite;

    public AppDbContext CreateDbContext() => _create();

    public void Dispose() => File.Delete(_path);
}
