using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Admin;
using TransferHub.Shared.Identity;
using TransferHub.Tests.Unit.Integration;
using TransferHub.Web.Features.Backup;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Tests.Unit.Web.Backup;

/// <summary>An app that backs itself up every hour and keeps the newest two.</summary>
public sealed class ScheduledBackupFactory : TransferHubFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Backup:Interval", "01:00:00");
        builder.UseSetting("Backup:Keep", "2");
    }
}

/// <summary>
/// The backup folder of a running app (#16 item 3): Admins write, list, download and delete backups through the API (and
/// the page on top of it); a schedule writes one each interval and the folder keeps the newest <c>Backup:Keep</c>.
/// </summary>
public sealed class BackupFolderTests(ScheduledBackupFactory factory) : IClassFixture<ScheduledBackupFactory>
{
    [Fact]
    public async Task AnAdminWritesABackupDownloadsItAndTheDownloadIsInTheSecurityLog()
    {
        var admin = factory.AdminClient();
        var created = await admin.PostAsync("/api/admin/backups", null);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var backup = (await created.Content.ReadFromJsonAsync<BackupDto>(Json.Options))!;
        backup.Name.ShouldMatch(@"^transferhub-\d{8}-\d{6}(-\d+)?\.zip$");

        var overview = (await admin.GetFromJsonAsync<BackupOverviewDto>("/api/admin/backups", Json.Options))!;
        overview.Supported.ShouldBeTrue();
        overview.Backups.ShouldContain(b => b.Name == backup.Name && b.Bytes == backup.Bytes);

        var download = await admin.GetAsync($"/api/admin/backups/{backup.Name}");
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        using (var zip = new ZipArchive(await download.Content.ReadAsStreamAsync()))
        {
            // The same format the restore command reads: the database and the manifest of hashes.
            zip.GetEntry("manifest.json").ShouldNotBeNull();
            zip.GetEntry("database/transferhub.db").ShouldNotBeNull();
        }
        var log = await admin.GetFromJsonAsync<JsonElement>("/api/admin/security-log?kind=BackupDownloaded", Json.Options);
        log.EnumerateArray().ShouldContain(e => e.GetProperty("subject").GetString() == backup.Name);

        (await admin.DeleteAsync($"/api/admin/backups/{backup.Name}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync($"/api/admin/backups/{backup.Name}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("transferhub.db")]
    [InlineData("..%2Ftransferhub.db")]
    [InlineData("transferhub-20261205-101500.zip.partial")]
    [InlineData("transferhub-20991231-235959.zip")]
    public async Task ANameThatIsNotOneOfTheFoldersBackupsIsNotFound(string name)
    {
        var response = await factory.AdminClient().GetAsync($"/api/admin/backups/{name}");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound); // never a file outside the folder, never a half-written one
    }

    [Fact]
    public async Task OnlyAdminsTouchBackups()
    {
        var (_, scientist) = await factory.CreateUserAsync($"sci-{Guid.NewGuid():N}"[..16] + "@example.test", AppRoles.Scientist);
        var name = (await (await factory.AdminClient().PostAsync("/api/admin/backups", null)).Content.ReadFromJsonAsync<BackupDto>(Json.Options))!.Name;

        (await scientist.GetAsync("/api/admin/backups")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.PostAsync("/api/admin/backups", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.GetAsync($"/api/admin/backups/{name}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.DeleteAsync($"/api/admin/backups/{name}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await factory.CreateClient().GetAsync("/api/admin/backups")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await factory.AdminClient().GetAsync($"/api/admin/backups/{name}")).StatusCode.ShouldBe(HttpStatusCode.OK); // still there
    }

    [Fact]
    public async Task TheScheduleWritesOneEachIntervalAndTheFolderKeepsTheNewestTwo()
    {
        var admin = factory.AdminClient();
        var overview = await WaitAsync(admin, o => o.NextAt is not null); // the schedule's timer is set
        overview.Interval.ShouldBe(TimeSpan.FromHours(1));
        var before = overview.Backups.Select(b => b.Name).ToHashSet();
        var times = new List<DateTimeOffset>();

        for (var hour = 1; hour <= 3; hour++)
        {
            factory.Clock.Advance(TimeSpan.FromHours(1));
            var at = factory.Clock.GetUtcNow();
            times.Add(at);
            // Written, and the schedule moved on (it sets its next time after the backup returns).
            overview = await WaitAsync(admin, o => o.Backups.Any(b => !before.Contains(b.Name) && Math.Abs((b.CreatedAt - at).TotalSeconds) < 1) && o.NextAt > at);
        }

        var scheduled = overview.Backups.Where(b => !before.Contains(b.Name)).ToList();
        scheduled.Count.ShouldBeLessThanOrEqualTo(2);
        overview.Backups.Count.ShouldBe(2); // the oldest went, whoever wrote them
        overview.Backups[0].CreatedAt.ShouldBe(times[2], TimeSpan.FromSeconds(1)); // newest first
        overview.Backups[1].CreatedAt.ShouldBe(times[1], TimeSpan.FromSeconds(1));
        overview.LastError.ShouldBeNull();
        overview.NextAt!.Value.ShouldBe(times[2] + TimeSpan.FromHours(1), TimeSpan.FromSeconds(1));
    }

    private static async Task<BackupOverviewDto> WaitAsync(HttpClient admin, Func<BackupOverviewDto, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var overview = (await admin.GetFromJsonAsync<BackupOverviewDto>("/api/admin/backups", Json.Options))!;
            if (done(overview))
            {
                return overview;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The backup folder never reached the expected state: [{string.Join(", ", overview.Backups.Select(b => b.Name))}], next at {overview.NextAt:O}, last error: {overview.LastError ?? "none"}");
            }
            await Task.Delay(50); // polls the API: the schedule runs on its own timer
        }
    }
}

/// <summary>What the backup service refuses, without an app.</summary>
public sealed class BackupServiceTests
{
    private static BackupService Service(Dictionary<string, string?> settings, BackupOptions? options = null) => new(
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}"),
        Options.Create(options ?? new BackupOptions()), TimeProvider.System, NullLogger<BackupService>.Instance);

    [Fact]
    public async Task ADeploymentOnADatabaseServerIsToldToUseItsOwnTools()
    {
        var service = Service(new() { ["Database:Provider"] = "PostgreSql" });

        service.Supported.ShouldBeFalse();
        service.Overview().Message!.ShouldContain("pg_dump");
        (await Should.ThrowAsync<ConflictException>(() => service.CreateAsync(CancellationToken.None))).Message.ShouldContain("pg_dump");
    }

    [Fact]
    public void AFolderInsideTheArtifactStoreIsRefusedNamingTheSetting()
    {
        var refused = Should.Throw<OptionsValidationException>(() => Service([], new BackupOptions { Folder = "artifacts/backups" }));

        refused.Message.ShouldContain("Backup:Folder");
    }

    [Theory]
    [InlineData("00:00:30", false)]
    [InlineData("00:00:00", true)]
    [InlineData("1.00:00:00", true)]
    public void AnIntervalIsNoneOrAtLeastAMinute(string interval, bool valid)
    {
        var options = new BackupOptions { Interval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture) };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        (errors.Count == 0).ShouldBe(valid);
    }
}
