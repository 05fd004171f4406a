using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class ImportApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Fact]
    public async Task JsonlImportAddsItemsWithLabelsAndSkipsDuplicatesAndBadLines()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "pos");
        var jsonl = "{\"text\":\"great film\",\"label\":\"pos\"}\n{\"text\":\"awful\",\"label\":\"neg\"}\n{\"text\":\"great film\"}\nnot json\n{\"text\":\"no label\"}\n";

        var report = await s.ImportAsync(dataset.Id, [("reviews.jsonl", Encoding.UTF8.GetBytes(jsonl))]);

        (report.Status, report.Added, report.Duplicates, report.Rejected).ShouldBe((ImportStatus.Completed, 3, 1, 1));
        report.Messages.ShouldContain("reviews.jsonl:4: not a JSON object.");
        var updated = await s.Scientist.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options);
        // "neg" was created by the import, with a key of its own (imported labels once had none: no key chose them).
        updated!.Labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([("pos", "1"), ("neg", "2")]);
        (updated.ItemCount, updated.LabeledCount).ShouldBe((3, 2));
    }

    [Fact]
    public async Task ImportingTheSameFileAgainAddsNothing()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text);
        var lines = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 50).Select(i => $"line {i}")));

        var first = await s.ImportAsync(dataset.Id, [("a.txt", lines)]);
        var second = await s.ImportAsync(dataset.Id, [("a.txt", lines)]);

        first.Added.ShouldBe(50);
        (second.Added, second.Duplicates).ShouldBe((0, 50));
    }

    [Fact]
    public async Task CsvWithChosenColumnsAndRaggedRows()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.MultiLabel);
        var csv = "id,body,tags\n1,\"Hello, world\",greeting|en\n2,too,many,fields\n3,\"multi\nline\",en\n";

        var report = await s.ImportAsync(dataset.Id, [("data.csv", Encoding.UTF8.GetBytes(csv))], textColumn: "body", labelColumn: "tags");

        (report.Added, report.Rejected).ShouldBe((2, 1));
        report.Messages.ShouldContain(m => m.Contains("4 fields where the header has 3"));
        var items = await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options);
        items!.Items.Select(i => i.Text).ShouldBe(["Hello, world", "multi\nline"]);
        items.Items[0].FinalLabels.Order().ShouldBe(["en", "greeting"]);
    }

    [Fact]
    public async Task AFileWithAThreeHundredCharacterNameImportsUnderAShortenedName()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var name = new string('x', 296) + ".png";

        var report = await s.ImportAsync(dataset.Id, [(name, DatasetScenario.Png(8, 8, SkiaSharp.SKColors.Red))]);

        (report.Added, report.Rejected).ShouldBe((1, 0));
        var item = (await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();
        item.FileName!.Length.ShouldBeLessThanOrEqualTo(120);
        item.FileName.ShouldEndWith(".png");
    }

    [Fact]
    public async Task AMultipartBodyCutShortIsABadRequestNotAServerError()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text);
        var cut = new ByteArrayContent(Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nhello wor"));
        cut.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");

        var response = await s.Scientist.PostAsync($"/api/datasets/{dataset.Id}/imports", cut);

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("could not be read");
        (await s.Scientist.GetFromJsonAsync<List<ImportDto>>($"/api/datasets/{dataset.Id}/imports", Json.Options))!.ShouldBeEmpty();
    }

    [Fact]
    public async Task CsvInAWrongEncodingIsRefusedWithAClearMessage()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text);
        var latin1 = Encoding.Latin1.GetBytes("text\ncafé crème\n");

        var report = await s.ImportAsync(dataset.Id, [("legacy.csv", latin1)]);

        (report.Added, report.Rejected).ShouldBe((0, 1));
        report.Messages.Single().ShouldContain("not UTF-8");
    }

    [Fact]
    public async Task ImageFolderZipImportsImagesWithTheirClassesAndThumbnails()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var zip = DatasetScenario.Zip(
            ("shapes/red/1.png", DatasetScenario.Png(32, 32, SKColors.Red)),
            ("shapes/red/2.png", DatasetScenario.Png(33, 32, SKColors.Red)),
            ("shapes/7/1.png", DatasetScenario.Png(34, 32, SKColors.Green)),
            ("shapes/blue/1.webp", DatasetScenario.Png(32, 32, SKColors.Blue, SKEncodedImageFormat.Webp)),
            ("shapes/blue/2.jpg", DatasetScenario.Png(40, 30, SKColors.Blue, SKEncodedImageFormat.Jpeg)));

        var report = await s.ImportAsync(dataset.Id, [("shapes.zip", zip)]);

        (report.Added, report.Rejected, report.Total).ShouldBe((5, 0, 5));
        var items = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items;
        items.Select(i => i.FinalLabels.Single()).Order().ShouldBe(["7", "blue", "blue", "red", "red"]);
        // Folders become labels with keys, a folder named by one key keeps it.
        var labels = (await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.Labels;
        labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([("red", "1"), ("7", "7"), ("blue", "2")]);
        var jpeg = items.Single(i => i.FileName == "2.jpg");
        (jpeg.Width, jpeg.Height).ShouldBe((40, 30));
        var content = await s.LabelerA.GetAsync($"/api/items/{jpeg.Id}/content");
        content.Content.Headers.ContentType!.MediaType.ShouldBe("image/jpeg");
        var thumbnail = await s.LabelerA.GetAsync($"/api/items/{jpeg.Id}/thumbnail");
        thumbnail.StatusCode.ShouldBe(HttpStatusCode.OK);
        // Immutable bytes: kept by the person's own browser (never a shared cache), so a page shown again asks nothing.
        (thumbnail.Headers.CacheControl!.Private, thumbnail.Headers.CacheControl.MaxAge).ShouldBe((true, TimeSpan.FromHours(1)));
        var outsider = await s.Outsider.GetAsync($"/api/items/{jpeg.Id}/content");
        outsider.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        outsider.Headers.CacheControl?.MaxAge.ShouldBeNull(); // a refusal is never cached
    }

    [Fact]
    public async Task AnEntryRefusedForItsLabelLeavesNothingStored()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var refused = DatasetScenario.Png(21, 17, SKColors.Orange);
        var zip = DatasetScenario.Zip(("a,b/refused.png", refused), ("fine/kept.png", DatasetScenario.Png(22, 17, SKColors.Orange)));

        var report = await s.ImportAsync(dataset.Id, [("labels.zip", zip)]);

        (report.Added, report.Rejected).ShouldBe((1, 1));
        report.Messages.ShouldContain(m => m.Contains("'a,b' cannot become a label"));
        // The refused image's bytes and thumbnail were never written (they once stayed behind in the artifact store).
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(refused));
        var artifacts = factory.Services.GetRequiredService<TransferHub.Registry.Features.Artifacts.IArtifactStore>();
        (await artifacts.GetInfoAsync($"items/{hash[..2]}/{hash}.png", CancellationToken.None)).ShouldBeNull();
        (await artifacts.GetInfoAsync($"thumbnails/{hash[..2]}/{hash}.jpg", CancellationToken.None)).ShouldBeNull();
        (await s.Scientist.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.Labels.Select(l => l.Name).ShouldBe(["fine"]);
    }

    [Fact]
    public async Task AnImportWhoseDatasetWasDeletedLeavesNoStagedFiles()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        // An upload staged and waiting for the import worker when its dataset is deleted.
        var job = new TransferHub.Web.Features.Datasets.ImportJob { DatasetId = dataset.Id, CreatedById = "someone", Status = ImportStatus.Running, CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = await factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<TransferHub.Web.Data.AppDbContext>>().CreateDbContextAsync())
        {
            db.ImportJobs.Add(job);
            await db.SaveChangesAsync();
        }
        var staging = factory.Services.GetRequiredService<TransferHub.Web.Features.Datasets.Import.StagingArea>();
        await File.WriteAllBytesAsync(Path.Combine(staging.FolderFor(job.Id), "00000-a.png"), DatasetScenario.Png(8, 8, SKColors.Red));
        (await s.Scientist.DeleteAsync($"/api/datasets/{dataset.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await factory.Services.GetRequiredService<TransferHub.Web.Features.Datasets.Import.ImportService>().ProcessAsync(job.Id, CancellationToken.None);

        staging.Files(job.Id).ShouldBeEmpty();
        Directory.Exists(Path.Combine(factory.DataRoot, "uploads", job.Id.ToString("N"))).ShouldBeFalse();
    }

    [Fact]
    public async Task HostileAndBrokenFilesAreRefusedOneByOneAndTheRestImports()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var good = DatasetScenario.Png(16, 16, SKColors.Green);
        var whole = DatasetScenario.Noise(200, 200, SKEncodedImageFormat.Jpeg);
        var truncated = whole[..(whole.Length * 6 / 10)];
        var zip = DatasetScenario.Zip(
            ("ok/good.png", good),
            ("../escape.png", DatasetScenario.Png(8, 8, SKColors.Red)),
            ("/etc/abs.png", DatasetScenario.Png(9, 9, SKColors.Red)),
            ("bomb/zeros.png", new byte[60 * 1024 * 1024]));

        var report = await s.ImportAsync(dataset.Id, [
            ("pack.zip", zip),
            ("empty.png", []),
            ("notes.png", "just text"u8.ToArray()),
            ("cut.jpg", truncated),
            ("huge.png", HugePng()),
            ("liar.png", DatasetScenario.Png(20, 20, SKColors.Purple, SKEncodedImageFormat.Jpeg)),
        ]);

        report.Added.ShouldBe(2); // good.png and liar.png (a JPEG, imported as what it is)
        report.Rejected.ShouldBe(7);
        report.Messages.ShouldContain(m => m.Contains("../escape.png") && m.Contains("leaves the archive"));
        report.Messages.ShouldContain(m => m.Contains("/etc/abs.png") && m.Contains("leaves the archive"));
        report.Messages.ShouldContain(m => m.Contains("zeros.png") && m.Contains("refused, it expands"));
        report.Messages.ShouldContain("empty.png: the file is empty.");
        report.Messages.ShouldContain(m => m.StartsWith("notes.png: not a readable image"));
        report.Messages.ShouldContain(m => m.StartsWith("cut.jpg: the image is damaged or truncated"));
        report.Messages.ShouldContain(m => m.StartsWith("huge.png: 100000×100000 pixels is over the limit"));
        report.Messages.ShouldContain(m => m.StartsWith("liar.png: named .png but is a JPG"));
    }

    [Fact]
    public async Task NonMultipartUploadIs415AndLabelerCannotImport()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text);

        var json = await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/imports", new { text = "x" });
        using var form = new MultipartFormDataContent { { new ByteArrayContent("a"u8.ToArray()), "files", "a.txt" } };
        var labeler = await s.LabelerA.PostAsync($"/api/datasets/{dataset.Id}/imports", form);

        json.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        labeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    /// <summary>A valid 1×1 PNG whose header claims 100000×100000 pixels: a decompression bomb by its dimensions.</summary>
    private static byte[] HugePng()
    {
        var png = DatasetScenario.Png(1, 1, SKColors.Black);
        // IHDR data starts at byte 16: width, height (big-endian), then the chunk's CRC over type+data at 29.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17)));
        return png;
    }
}
