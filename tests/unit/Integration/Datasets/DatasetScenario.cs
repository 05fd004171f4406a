using System.IO.Compression;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Tests.Unit.Integration.Datasets;

/// <summary>Arranges a project, its people and a dataset through the API, and imports files waiting on the import's own completion event.</summary>
public sealed class DatasetScenario
{
    private DatasetScenario(TransferHubFactory factory) => Factory = factory;

    public TransferHubFactory Factory { get; }
    public HttpClient Admin { get; private set; } = null!;
    public Guid ProjectId { get; private set; }
    public HttpClient Scientist { get; private set; } = null!;
    public HttpClient LabelerA { get; private set; } = null!;
    public HttpClient LabelerB { get; private set; } = null!;
    public HttpClient Outsider { get; private set; } = null!;

    public static async Task<DatasetScenario> CreateAsync(TransferHubFactory factory)
    {
        var s = new DatasetScenario(factory) { Admin = factory.AdminClient() };
        var tag = Guid.NewGuid().ToString("N")[..8];
        var project = await s.Admin.PostAsJsonAsync("/api/projects", new CreateProjectRequest($"Data {tag}", null));
        s.ProjectId = (await project.Content.ReadFromJsonAsync<ProjectDto>(Json.Options))!.Id;
        (_, s.Scientist) = await s.AddMemberAsync($"sci-{tag}@example.test", AppRoles.Scientist, ProjectRole.Scientist);
        (_, s.LabelerA) = await s.AddMemberAsync($"la-{tag}@example.test", AppRoles.Labeler, ProjectRole.Labeler);
        (_, s.LabelerB) = await s.AddMemberAsync($"lb-{tag}@example.test", AppRoles.Labeler, ProjectRole.Labeler);
        (_, s.Outsider) = await factory.CreateUserAsync($"out-{tag}@example.test", AppRoles.Labeler);
        return s;
    }

    private async Task<(string, HttpClient)> AddMemberAsync(string email, string globalRole, ProjectRole role)
    {
        var (id, client) = await Factory.CreateUserAsync(email, globalRole);
        (await Admin.PostAsJsonAsync($"/api/projects/{ProjectId}/members", new AddMemberRequest(id, null, role))).EnsureSuccessStatusCode();
        return (id, client);
    }

    public async Task<DatasetDto> CreateDatasetAsync(DatasetKind kind, LabelTask task = LabelTask.SingleLabel, int overlap = 0, params string[] labels)
    {
        var response = await Scientist.PostAsJsonAsync($"/api/projects/{ProjectId}/datasets", new CreateDatasetRequest(
            $"ds-{Guid.NewGuid():N}"[..12], kind, task, [.. labels.Select(l => new LabelRequest(l, null, null, null))], "# Guideline", overlap));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DatasetDto>(Json.Options))!;
    }

    /// <summary>Uploads files and returns the finished import's report.</summary>
    public async Task<ImportDto> ImportAsync(Guid datasetId, IEnumerable<(string Name, byte[] Bytes)> files, string? textColumn = null, string? labelColumn = null,
        string? labelsAs = null)
    {
        var done = new TaskCompletionSource<ImportDto>(TaskCreationOptions.RunContinuationsAsynchronously);
        Guid? importId = null;
        using var subscription = Factory.Services.GetRequiredService<DatasetEvents>().Subscribe(datasetId, e =>
        {
            if (e is ImportProgressed p && p.Import.Status != ImportStatus.Running && (importId is null || p.Import.Id == importId))
            {
                done.TrySetResult(p.Import);
            }
            return Task.CompletedTask;
        });
        using var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            form.Add(new ByteArrayContent(bytes), "files", name);
        }
        if (textColumn is not null)
        {
            form.Add(new StringContent(textColumn), "textColumn");
        }
        if (labelColumn is not null)
        {
            form.Add(new StringContent(labelColumn), "labelColumn");
        }
        if (labelsAs is not null)
        {
            form.Add(new StringContent(labelsAs), "labelsAs");
        }
        var response = await Scientist.PostAsync($"/api/datasets/{datasetId}/imports", form);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        importId = (await response.Content.ReadFromJsonAsync<ImportDto>(Json.Options))!.Id;
        var report = await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        report.Id.ShouldBe(importId.Value);
        return report;
    }

    /// <summary>The principal a client signs in as (for calling services directly, as pages do).</summary>
    public static async Task<System.Security.Claims.ClaimsPrincipal> PrincipalOfAsync(HttpClient client)
    {
        var me = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/me");
        return new(new System.Security.Claims.ClaimsIdentity([new(System.Security.Claims.ClaimTypes.NameIdentifier, me.GetProperty("id").GetString()!),
            .. me.GetProperty("roles").EnumerateArray().Select(r => new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, r.GetString()!))], "test"));
    }

    public static byte[] Png(int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        TestImages.Solid(width, height, color, format);

    /// <summary>An image of random pixels (from <paramref name="random"/>, else the same every time): it does not compress, so cutting the
    /// file loses pixel data, not just padding.</summary>
    public static byte[] Noise(int width, int height, SKEncodedImageFormat format, Random? random = null)
    {
        random ??= new Random(7);
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(format, 90).ToArray();
    }

    public static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                stream.Write(bytes);
            }
        }
        return buffer.ToArray();
    }
}
