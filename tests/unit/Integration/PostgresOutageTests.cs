using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using TransferHub.Shared.Projects;
using TransferHub.Tests.Support;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>
/// The app on its own PostgreSQL server, which the test stops and starts again: while the database is down the
/// portal stays up, says so on /health and refuses what needs the database; when it is back, everything works
/// again without a restart.
/// </summary>
public sealed class PostgresOutageTests : IAsyncLifetime
{
    private PostgresServer _server = null!;
    private OnServer _app = null!;

    private sealed class OnServer(string connectionString) : TransferHubFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Database:Provider", "PostgreSql");
            builder.UseSetting("ConnectionStrings:TransferHub", connectionString);
        }
    }

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        _app = new OnServer(await _server.CreateDatabaseAsync());
    }

    [Fact]
    public async Task WhileTheDatabaseIsDownHealthSaysSoAndWhenItIsBackEverythingWorksWithoutARestart()
    {
        var admin = _app.AdminClient();
        var created = await admin.PostAsJsonAsync("/api/projects", new CreateProjectRequest("before the outage", null));
        created.StatusCode.ShouldBe(HttpStatusCode.Created);

        await _server.StopAsync();
        var health = await _app.CreateClient().GetAsync("/health");
        var during = await admin.GetAsync("/api/projects");
        var write = await admin.PostAsJsonAsync("/api/projects", new CreateProjectRequest("during the outage", null));
        await _server.StartServerAsync();

        health.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var checks = (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        checks.GetProperty("database").GetProperty("status").GetString().ShouldBe("Unhealthy");
        checks.GetProperty("artifacts").GetProperty("status").GetString().ShouldBe("Healthy");
        ((int)during.StatusCode).ShouldBeGreaterThanOrEqualTo(500);
        ((int)write.StatusCode).ShouldBeGreaterThanOrEqualTo(500);
        (await write.Content.ReadAsStringAsync()).ShouldNotContain("Password"); // no connection string in the answer

        // Back: the pool opens fresh connections; nothing written before the outage is lost, the refused write left nothing.
        (await _app.CreateClient().GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var projects = await admin.GetFromJsonAsync<List<ProjectDto>>("/api/projects", Json.Options);
        projects!.Select(p => p.Name).ShouldBe(["before the outage"]);
        (await admin.PostAsJsonAsync("/api/projects", new CreateProjectRequest("after the outage", null))).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
    }
}
