using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Common;

namespace TransferHub.Web.Data;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDbContextFactory{AppDbContext}"/> (for Blazor components and services) and a
    /// scoped <see cref="AppDbContext"/> (for Identity), both of the provider chosen by configuration.
    /// </summary>
    public static IServiceCollection AddAppDatabase(this IServiceCollection services, IConfiguration configuration, string dataRoot)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        var connectionString = configuration.GetConnectionString(Names.Database);
        var writes = new WriteGate(options.Provider);
        switch (options.Provider)
        {
            case DatabaseProvider.SqlServer:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new InvalidOperationException(
                        $"ConnectionStrings:{Names.Database} is required when Database:Provider is SqlServer.");
                }
                try
                {
                    _ = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(connectionString);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
                {
                    throw new InvalidOperationException($"ConnectionStrings:{Names.Database} is not a SQL Server connection string: {e.Message}", e);
                }
                services.AddDbContextFactory<SqlServerAppDbContext>(o => o.UseSqlServer(connectionString, sql => sql.EnableRetryOnFailure()));
                services.AddSingleton<IDbContextFactory<AppDbContext>, ProviderFactory<SqlServerAppDbContext>>();
                break;
            case DatabaseProvider.PostgreSql:
                connectionString = RequirePostgres(connectionString);
                // No retrying execution strategy: it refuses the explicit transactions promotions and snapshots use.
                // A dropped connection fails the one request; the pool opens a fresh one for the next.
                services.AddDbContextFactory<PostgresAppDbContext>(o => o.UseNpgsql(connectionString));
                services.AddSingleton<IDbContextFactory<AppDbContext>, ProviderFactory<PostgresAppDbContext>>();
                break;
            default:
                connectionString = string.IsNullOrWhiteSpace(connectionString)
                    ? $"Data Source={Path.Combine(dataRoot, "transferhub.db")}"
                    : connectionString;
                services.AddDbContextFactory<SqliteAppDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas(), new WriteGateInterceptor(writes)));
                services.AddSingleton<IDbContextFactory<AppDbContext>, ProviderFactory<SqliteAppDbContext>>();
                break;
        }
        services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        services.AddSingleton(writes);
        return services;
    }

    private static string RequirePostgres(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{Names.Database} is required when Database:Provider is PostgreSql.");
        }
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("Host is missing.");
            }
            return connectionString;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"ConnectionStrings:{Names.Database} is not a PostgreSQL connection string: {e.Message}", e);
        }
    }

    /// <summary>Applies pending migrations when <c>Database:ApplyMigrationsOnStartup</c> is on.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app, CancellationToken ct = default)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
        if (!options.ApplyMigrationsOnStartup)
        {
            return;
        }
        var factory = app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(() => db.Database.MigrateAsync(ct));
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException)
        {
            // Start-up stops here: say which setting to look at rather than only the driver's words.
            throw new InvalidOperationException(
                $"Starting the {options.Provider} database of ConnectionStrings:{Names.Database} failed (for SQLite: the file under the data folder): {(e.InnerException is System.Data.Common.DbException inner ? inner : e).Message}", e);
        }
        if (db.Database.IsSqlite())
        {
            // Write-ahead logging: readers never wait for the writer, and commits are cheaper. Stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", ct);
        }
    }

    private sealed class ProviderFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<AppDbContext>
        where TContext : AppDbContext
    {
        public AppDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
