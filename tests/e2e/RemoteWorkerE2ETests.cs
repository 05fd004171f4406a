using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

/// <summary>An app without its in-process worker and with a short lease: only remote worker processes train.</summary>
public sealed class RemoteWorkersAppFixture : BrowserFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Bootstrap:AdminEmail"] = AdminEmail,
        ["Bootstrap:AdminPassword"] = AdminPassword,
        ["Bootstrap:AdminToken"] = AdminToken,
        ["Workers:InProcess"] = "false",
        ["Jobs:Lease"] = "00:00:06",
    };
}

public sealed class RemoteWorkerE2ETests(RemoteWorkersAppFixture app) : IClassFixture<RemoteWorkersAppFixture>
{
    [Fact]
    public async Task ARunKilledOnOneRemoteWorkerResumesOnAnotherFromItsCheckpointWhileTheBrowserWatches()
    {
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(app.BaseUrl, images: 60);
        using var http = E2EData.AdminClient(app.BaseUrl);
        var token = await E2EData.WorkerTokenAsync(http, "e2e-gpu");
        await using var first = WorkerProcess.Start(app.BaseUrl, token, "worker-a");
        // Many epochs with a patience as long: the run lasts long enough to be killed half way.
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "remote", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 60, imageSize = 12, learningRate = 0.003, batchSize = 4 });
        created.EnsureSuccessStatusCode();
        var experiment = await created.Content.ReadFromJsonAsync<JsonElement>();
        var experimentId = experiment.GetProperty("id").GetString();
        var runId = experiment.GetProperty("runs")[0].GetProperty("id").GetString();

        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync("/workers");
        var row = page.Locator("#workers tbody tr", new() { HasText = "worker-a" });
        await Assertions.Expect(row).ToContainTextAsync("remote · baseline · seed 1", new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("CPU");
        await page.ScreenshotAsync("40-workers");

        await page.GotoInteractiveAsync($"/experiments/{experimentId}");
        await Assertions.Expect(page.Locator("#runs-table tbody tr").First).ToContainTextAsync("Running");
        var before = await E2EData.EpochsAsync(http, runId!, atLeast: 3);
        await first.KillAsync();

        await using var second = WorkerProcess.Start(app.BaseUrl, token, "worker-b");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });
        var run = (await http.GetFromJsonAsync<JsonElement>($"/api/experiments/{experimentId}")).GetProperty("runs")[0];
        var epochs = await E2EData.EpochsAsync(http, runId!, atLeast: 0);

        run.GetProperty("status").GetString().ShouldBe("Succeeded", $"{run}\n--- worker-a\n{first.Log}\n--- worker-b\n{second.Log}");
        run.GetProperty("attempt").GetInt32().ShouldBe(2);
        epochs.ShouldBe(Enumerable.Range(1, epochs.Count).ToList(), "every epoch stored once, none lost");
        epochs.Count.ShouldBeGreaterThan(before.Count);
        second.Log.ShouldContain("worker-b on cpu");
        await page.GotoInteractiveAsync("/workers");
        await Assertions.Expect(page.Locator("#workers tbody tr", new() { HasText = "worker-b" })).ToContainTextAsync("idle");
    }

    [Fact]
    public async Task WorkersWhoseClocksAreHoursOffKeepTheirLeasesAndNeitherTakesTheOthersRun()
    {
        // Leases are granted, renewed and expired on the server's clock alone: a worker never sends a time.
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(app.BaseUrl, images: 40);
        using var http = E2EData.AdminClient(app.BaseUrl);
        var token = await E2EData.WorkerTokenAsync(http, "e2e-skew");
        await using var ahead = WorkerProcess.Start(app.BaseUrl, token, "clock-ahead", clockOffset: TimeSpan.FromHours(3));
        await using var behind = WorkerProcess.Start(app.BaseUrl, token, "clock-behind", clockOffset: TimeSpan.FromHours(-3));
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "skew", datasetVersionId = versionId, architecture = "small-cnn", seeds = 2, epochs = 40, patience = 0, imageSize = 12, learningRate = 0.003, batchSize = 4 });
        created.EnsureSuccessStatusCode();
        var experimentId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var runs = await E2EData.WaitForRunsAsync(http, experimentId!, TimeSpan.FromMinutes(3));

        var logs = $"\n--- clock-ahead\n{ahead.Log}\n--- clock-behind\n{behind.Log}";
        ClockOffset(ahead.Log).TotalHours.ShouldBeInRange(2.9, 3.1, "the worker's clock really was shifted" + logs);
        ClockOffset(behind.Log).TotalHours.ShouldBeInRange(-3.1, -2.9, logs);
        foreach (var run in runs)
        {
            run.GetProperty("status").GetString().ShouldBe("Succeeded", $"{run}{logs}");
            run.GetProperty("attempt").GetInt32().ShouldBe(1, "no lease expired and no run changed hands" + logs);
            var lasted = run.GetProperty("completedAt").GetDateTimeOffset() - run.GetProperty("startedAt").GetDateTimeOffset();
            lasted.ShouldBeGreaterThan(TimeSpan.FromSeconds(12), "the run outlived two 6 s leases: heartbeats renewed it");
        }
    }

    // "… local clock 2026-11-23T04:12:00.0000000+00:00" in the worker's first line, against this process's clock.
    private static TimeSpan ClockOffset(string log) =>
        DateTimeOffset.Parse(Regex.Match(log, @"local clock (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow;
}
