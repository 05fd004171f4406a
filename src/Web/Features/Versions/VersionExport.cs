using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Versions;

/// <summary>
/// Streams a version out as CSV, JSONL or an ImageFolder zip (split/label/file), row by row: memory stays
/// flat however large the version. Each format imports back into a dataset unchanged.
/// </summary>
public static class VersionExport
{
    public static readonly string[] Formats = ["csv", "jsonl", "imagefolder"];

    public static async Task WriteAsync(HttpContext http, VersionService versions, IArtifactStore store, VersionDto version, DatasetDto dataset, string format, CancellationToken ct)
    {
        var baseName = $"{Slug(dataset.Name)}-v{version.Number}";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{baseName}.{(format == "imagefolder" ? "zip" : format)}\"";
        http.Response.Headers["X-Content-Hash"] = version.ContentHash;
        var rows = versions.RowsAsync(version.Id, dataset, ct);
        switch (format)
        {
            case "csv":
                http.Response.ContentType = "text/csv; charset=utf-8";
                await WriteCsvAsync(http.Response.Body, dataset, rows, ct);
                break;
            case "jsonl":
                http.Response.ContentType = "application/x-ndjson; charset=utf-8";
                await WriteJsonlAsync(http.Response.Body, dataset, rows, ct);
                break;
            default:
                http.Response.ContentType = "application/zip";
                // ZipArchive writes its directory synchronously when it closes.
                http.Features.Get<IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
                await WriteImageFolderAsync(http.Response.Body, store, rows, ct);
                break;
        }
    }

    private static async Task WriteCsvAsync(Stream body, DatasetDto dataset, IAsyncEnumerable<(Datasets.Item Item, IReadOnlyList<string> Labels, Split Split)> rows, CancellationToken ct)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        var text = dataset.Kind == DatasetKind.Text;
        await writer.WriteLineAsync(text ? "id,content_hash,text,label,split" : "id,content_hash,file,width,height,label,split");
        await foreach (var (item, labels, split) in rows.WithCancellation(ct))
        {
            var label = Csv(string.Join('|', labels));
            await writer.WriteLineAsync(text
                ? $"{item.Id},{item.ContentHash},{Csv(item.Text)},{label},{split.ToString().ToLowerInvariant()}"
                : $"{item.Id},{item.ContentHash},{Csv(item.FileName)},{item.Width},{item.Height},{label},{split.ToString().ToLowerInvariant()}");
        }
    }

    private static async Task WriteJsonlAsync(Stream body, DatasetDto dataset, IAsyncEnumerable<(Datasets.Item Item, IReadOnlyList<string> Labels, Split Split)> rows, CancellationToken ct)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        var single = dataset.Task == LabelTask.SingleLabel;
        await foreach (var (item, labels, split) in rows.WithCancellation(ct))
        {
            object label = single ? labels.FirstOrDefault() ?? "" : labels;
            var line = dataset.Kind == DatasetKind.Text
                ? JsonSerializer.Serialize(new { id = item.Id, text = item.Text, label, split = split.ToString().ToLowerInvariant(), content_hash = item.ContentHash })
                : JsonSerializer.Serialize(new { id = item.Id, file = item.FileName, label, split = split.ToString().ToLowerInvariant(), content_hash = item.ContentHash });
            await writer.WriteLineAsync(line);
        }
    }

    private static async Task WriteImageFolderAsync(Stream body, IArtifactStore store, IAsyncEnumerable<(Datasets.Item Item, IReadOnlyList<string> Labels, Split Split)> rows, CancellationToken ct)
    {
        using var zip = new ZipArchive(body, ZipArchiveMode.Create, leaveOpen: true);
        await foreach (var (item, labels, split) in rows.WithCancellation(ct))
        {
            if (item.BlobKey is null)
            {
                continue;
            }
            // One copy per label, so multi-label items appear under each of their classes.
            foreach (var label in labels)
            {
                var extension = Path.GetExtension(item.BlobKey);
                var entry = zip.CreateEntry($"{split.ToString().ToLowerInvariant()}/{SafeSegment(label)}/{item.ContentHash[..16]}{extension}", CompressionLevel.NoCompression);
                await using var target = entry.Open();
                await using var source = await store.OpenReadAsync(item.BlobKey, ct);
                await source.CopyToAsync(target, ct);
            }
        }
    }

    /// <summary>Quotes a CSV field, and neutralises spreadsheet formulas (=, +, -, @, tab, CR) with a leading apostrophe — and a
    /// leading apostrophe with another, so that the import, which removes one, gives back the value unchanged.</summary>
    public static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'')
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 || value.StartsWith('\'') ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }

    private static string SafeSegment(string value)
    {
        var chars = value.Select(c => Path.GetInvalidFileNameChars().Contains(c) || c is '/' or '\\' ? '_' : c).ToArray();
        var segment = new string(chars).Trim('.', ' ');
        return segment.Length == 0 ? "_" : segment;
    }

    private static string Slug(string name) => new([.. name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')]);
}
