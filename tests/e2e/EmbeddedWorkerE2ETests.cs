using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace TransferHub.Tests.E2E;

/// <summary>The app as `dotnet run` starts it: its own worker is a child process it supervises.</summary>
public sealed class EmbeddedWorkerAppFixture : BrowserFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Bootstrap:AdminEmail"] = AdminEmail,
        ["Bootstrap:AdminPassword"] = AdminPassword,
        ["Bootstrap:AdminToken"] = AdminToken,
    };
}

public sealed class EmbeddedWorkerE2ETests(EmbeddedWorkerAppFixture app) : IClassFixture<EmbeddedWorkerAppFixture>
{
    [Fact]
    public async Task ATrainingProcessThatDiesMidRunCostsOneAttemptNeverThePortal()
    {
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(app.BaseUrl, images: 60);
        using var http = E2EData.AdminClient(app.BaseUrl);
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "crash", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 60, imageSize = 12, learningRate = 0.003, batchSize = 4 });
        created.EnsureSuccessStatusCode();
        var experiment = await created.Content.ReadFromJsonAsync<JsonElement>();
        var experimentId = experiment.GetProperty("id").GetString();
        var runId = experiment.GetProperty("runs")[0].GetProperty("id").GetString();
        var before = await E2EData.EpochsAsync(http, runId!, atLeast: 3);
        var child = await http.GetFromJsonAsync<JsonElement>("/api/workers/embedded");
        child.GetProperty("mode").GetString().ShouldBe("Process");
        child.GetProperty("state").GetString().ShouldBe("running");
        var childId = child.GetProperty("processId").GetInt32();
        IsLoaded(childId, "libtorch_cpu").ShouldBeTrue("the child trains");

        // SIGKILL, as a native crash ends a process: no hand-back, no goodbye. (.NET's own handlers swallow a SIGSEGV
        // or SIGABRT sent with kill(1); a real fault in libtorch is not sent, it happens, and ends the process the same way.)
        using (var process = Process.GetProcessById(childId)) process.Kill();

        (await http.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK, "the portal stays up");
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync("/workers");
        await Assertions.Expect(page.Locator("#embedded-worker")).ToContainTextAsync("SIGKILL", new() { Timeout = 30_000 });
        await page.ScreenshotAsync("41-embedded-worker-restarted");
        await page.GotoInteractiveAsync($"/experiments/{experimentId}");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });

        var run = (await http.GetFromJsonAsync<JsonElement>($"/api/experiments/{experimentId}")).GetProperty("runs")[0];
        run.GetProperty("status").GetString().ShouldBe("Succeeded", $"{run}\n{app.Log}");
        run.GetProperty("attempt").GetInt32().ShouldBe(2, "one attempt lost to the crash, resumed at once without waiting out the lease");
        var epochs = await E2EData.EpochsAsync(http, runId!, atLeast: 0);
        epochs.ShouldBe(Enumerable.Range(1, epochs.Count).ToList(), "every epoch stored once, none lost");
        epochs.Count.ShouldBeGreaterThan(before.Count);
        app.Log.ShouldContain("Resuming");
        var restarted = await http.GetFromJsonAsync<JsonElement>("/api/workers/embedded");
        restarted.GetProperty("restarts").GetInt32().ShouldBe(1);
        restarted.GetProperty("processId").GetInt32().ShouldNotBe(childId);
        restarted.GetProperty("lastExit").GetString().ShouldBe("killed by signal 9 (SIGKILL)");
        var health = await http.GetFromJsonAsync<JsonElement>("/health");
        health.GetProperty("checks").GetProperty("embedded-worker").GetProperty("description").GetString()
            .ShouldBe("Process: running; restarted 1×, last: killed by signal 9 (SIGKILL).");
        IsLoaded(app.AppProcessId!.Value, "libtorch_cpu").ShouldBeFalse("training never loads libtorch into the web process");
    }

    // Whether a shared library is mapped into a process (Linux /proc).
    private static bool IsLoaded(int processId, string library) =>
        File.ReadLines($"/proc/{processId}/maps").Any(line => line.Contains(library, StringComparison.Ordinal));
}
