using TransferHub.Registry.Features.Registration;
using TransferHub.Registry.Features.Access;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Registry;
using TransferHub.Registry.Features.Models;

namespace TransferHub.Bench.Registry;

/// <summary>
/// The registry's model page with 1 000 versions: the real app in memory (SQLite), one model whose versions are
/// written straight into the database (training 1 000 runs would measure training), then the API and the page timed.
/// </summary>
internal static class PageLoad
{
    private const string Token = "thp_bench-bootstrap-token-0123456789abcdef";

    public static async Task<object> RunAsync(int versions, int iterations)
    {
        var root = Path.Combine(Path.GetTempPath(), $"registry-bench-{Guid.NewGuid():N}");
        // WebApplicationFactory finds the app's content root through the manifest beside this program: run it from its folder.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        await using var app = new WebApplicationFactory<RegistryService>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting("Data:Root", root);
            b.UseSetting("Workers:InProcess", "false");
            b.UseSetting("Bootstrap:AdminEmail", "admin@bench.test");
            b.UseSetting("Bootstrap:AdminPassword", "Admin-Passw0rd!");
            b.UseSetting("Bootstrap:AdminToken", Token);
        });
        using var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = "bench" })).Content.ReadFromJsonAsync<JsonElement>();
        var projectId = project.GetProperty("id").GetGuid();
        var modelId = await SeedAsync(app.Services, projectId, versions);

        var api = await TimeAsync(http, $"/api/models/{modelId}", iterations);
        var list = await TimeAsync(http, "/api/models", iterations);
        var page = await TimeAsync(http, $"/models/{modelId}", iterations);
        Directory.Delete(root, recursive: true);
        Console.WriteLine($"\n| {versions:N0} versions | p50 ms | p95 ms |\n|---|---|---|");
        foreach (var (name, (p50, p95)) in new[] { ("GET /api/models/{id}", api), ("GET /api/models", list), ("model page (server render)", page) })
        {
            Console.WriteLine(FormattableString.Invariant($"| {name} | {p50:0} | {p95:0} |"));
        }
        return new { kind = "page-load", versions, iterations, apiP50 = api.P50, apiP95 = api.P95, listP50 = list.P50, pageP50 = page.P50, pageP95 = page.P95 };
    }

    private static async Task<Guid> SeedAsync(IServiceProvider services, Guid projectId, int count)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var admin = await db.Users.Select(u => u.Id).FirstAsync();
        var model = new RegisteredModel { ProjectId = projectId, Name = "bench", CreatedById = admin, CreatedAt = DateTimeOffset.UtcNow };
        db.Add(model);
        var input = JsonSerializer.Serialize(new InputSpec("image", 32, 3, "RGB 32×32"), RegistryRules.Json);
        var spec = JsonSerializer.Serialize(new TransferHub.Shared.Training.TrainingJobSpec("small-cnn", TransferHub.Shared.Training.TrainingStrategy.Baseline), RegistryRules.Json);
        for (var i = 1; i <= count; i++)
        {
            db.Add(new ModelVersion
            {
                ModelId = model.Id, Number = i, Stage = i == count ? ModelStage.Production : ModelStage.Archived, ArtifactKey = $"models/x/v{i}", Sha256 = new string('a', 64),
                SizeBytes = 1, Architecture = "small-cnn", LabelsJson = "[\"a\",\"b\"]", InputJson = input, HyperparametersJson = spec, Arm = "baseline",
                DatasetVersionHash = new string('b', 64), RegisteredById = admin, RegisteredAt = DateTimeOffset.UtcNow, RunId = Guid.NewGuid(), ExperimentId = Guid.NewGuid(),
            });
        }
        await db.SaveChangesAsync();
        return model.Id;
    }

    private static async Task<(double P50, double P95)> TimeAsync(HttpClient http, string path, int iterations)
    {
        var first = await http.GetAsync(path);
        first.EnsureSuccessStatusCode();
        // A sign-in page would also answer 200: make sure the versions were rendered.
        if (!(await first.Content.ReadAsStringAsync()).Contains("1000", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} did not render the versions.");
        }
        var times = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times[times.Count / 2], times[(int)Math.Ceiling(times.Count * 0.95) - 1]);
    }
}
