using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web.Data;

/// <summary>A wrong database setting stops the start with an error that names the setting.</summary>
public sealed class DatabaseSettingsTests
{
    private static InvalidOperationException StartWith(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        return Should.Throw<InvalidOperationException>(() => new ServiceCollection().AddAppDatabase(configuration, Path.GetTempPath()));
    }

    [Fact]
    public void SqlServerWithoutAConnectionStringNamesTheMissingSetting()
    {
        var error = StartWith(("Database:Provider", "SqlServer"));

        error.Message.ShouldBe("ConnectionStrings:TransferHub is required when Database:Provider is SqlServer.");
    }

    [Fact]
    public void AMalformedSqlServerConnectionStringNamesTheSettingAndTheBadPart()
    {
        var error = StartWith(("Database:Provider", "SqlServer"), ("ConnectionStrings:TransferHub", "Server=db;Databse=transferhub"));

        error.Message.ShouldStartWith("ConnectionStrings:TransferHub is not a SQL Server connection string:");
        error.Message.ShouldContain("databse");
    }

    [Fact]
    public async Task AnUnreachableSqlServerStopsTheStartNamingTheSettingAndTheDriversReason()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "SqlServer",
            // Port 1 on loopback refuses at once: nothing to wait for.
            ["ConnectionStrings:TransferHub"] = "Server=127.0.0.1,1;Database=x;User Id=sa;Password=x;TrustServerCertificate=true;Connect Timeout=2",
        });
        builder.Services.AddAppDatabase(builder.Configuration, Path.GetTempPath());
        await using var app = builder.Build();

        var error = await Should.ThrowAsync<InvalidOperationException>(() => app.MigrateDatabaseAsync());

        error.Message.ShouldStartWith("Starting the SqlServer database of ConnectionStrings:TransferHub failed");
        error.Message.ShouldContain("establishing a connection to SQL Server");
    }

    [Fact]
    public void PostgresWithoutAConnectionStringNamesTheMissingSetting()
    {
        var error = StartWith(("Database:Provider", "PostgreSql"));

        error.Message.ShouldBe("ConnectionStrings:TransferHub is required when Database:Provider is PostgreSql.");
    }

    [Theory]
    [InlineData("Hots=db;Database=transferhub", "hots")]
    [InlineData("Database=transferhub", "Host is missing")]
    public void AMalformedPostgresConnectionStringNamesTheSettingAndTheBadPart(string connectionString, string named)
    {
        var error = StartWith(("Database:Provider", "PostgreSql"), ("ConnectionStrings:TransferHub", connectionString));

        error.Message.ShouldStartWith("ConnectionStrings:TransferHub is not a PostgreSQL connection string:");
        error.Message.ShouldContain(named, Case.Insensitive);
    }

    [Fact]
    public async Task AnUnreachablePostgresStopsTheStartNamingTheSettingAndTheDriversReason()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "PostgreSql",
            ["ConnectionStrings:TransferHub"] = "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=2",
        });
        builder.Services.AddAppDatabase(builder.Configuration, Path.GetTempPath());
        await using var app = builder.Build();

        var error = await Should.ThrowAsync<InvalidOperationException>(() => app.MigrateDatabaseAsync());

        error.Message.ShouldStartWith("Starting the PostgreSql database of ConnectionStrings:TransferHub failed");
        error.Message.ShouldContain("127.0.0.1:1");
    }
}
