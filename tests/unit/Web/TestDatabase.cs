using Microsoft.EntityFrameworkCore;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web;

/// <summary>A migrated SQLite file of its own, for tests of services below the HTTP layer.</summary>
public sealed class TestDatabase : IDbContextFactory<AppDbContext>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"th-test-{Guid.NewGuid():N}.db");
    private readonly DbContextOptions<SqliteAppDbContext> _options;

    public TestDatabase()
    {
        _options = new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={_path};Pooling=false").Options;
        using var db = CreateDbContext();
        db.Database.Migrate();
    }

    public AppDbContext CreateDbContext() => new SqliteAppDbContext(_options);

    public void Dispose() => File.Delete(_path);
}
