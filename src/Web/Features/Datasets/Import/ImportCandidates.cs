using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>A would-be item read from an upload: bytes (image) or text, with labels if the source carried any, or the reason it cannot be.</summary>
public sealed record Candidate(string Source, byte[]? Bytes, string? Text, IReadOnlyList<string> Labels, string? Error = null);

/// <summary>Options of a text import: which CSV columns hold the text and the label.</summary>
public sealed record TextColumns(string? Text, string? Label);

/// <summary>
/// Turns staged upload files into candidates, refusing what is unsafe: zip entries with absolute or
/// parent ('..') paths, zip bombs (entries over the size limit or absurd compression ratios, too many
/// entries), text that is not UTF-8, and rows that do not fit the header.
/// </summary>
public static class ImportCandidates
{
    public const int MaxEntryBytes = 50 * 1024 * 1024;
    public const int MaxEntries = 200_000;
    public const long MaxTotalBytes = 8L * 1024 * 1024 * 1024;
    public const int MaxCompressionRatio = 200;
    private static readonly char[] LabelSeparators = ['|', ';'];

    /// <summary>How many candidates a file will yield, read cheaply for the progress bar.</summary>
    public static int Count(string path, string fileName, bool text)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        try
        {
            if (ext == ".zip")
            {
                using var zip = ZipFile.OpenRead(path);
                return zip.Entries.Count(e => !e.FullName.EndsWith('/'));
            }
            return text ? Math.Max(1, File.ReadLines(path).Count(l => l.Length > 0) - (ext == ".csv" ? 1 : 0)) : 1;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return 1;
        }
    }

    public static IEnumerable<Candidate> Images(string path, string fileName)
    {
        if (!Path.GetExtension(fileName).Equals(".zip", StringComparison.OrdinalIgnoreCase))
        {
            var info = new FileInfo(path);
            yield return info.Length > MaxEntryBytes
                ? Rejected(fileName, $"{fileName}: {info.Length / 1_048_576} MB is over the {MaxEntryBytes / 1_048_576} MB limit per image.")
                : new Candidate(fileName, File.ReadAllBytes(path), null, []);
            yield break;
        }
        foreach (var candidate in ZipEntries(path, fileName))
        {
            yield return candidate;
        }
    }

    private static IEnumerable<Candidate> ZipEntries(string path, string zipName)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            zip = null!;
        }
        if (zip is null)
        {
            yield return Rejected(zipName, $"{zipName}: not a readable zip file.");
            yield break;
        }
        using (zip)
        {
            if (zip.Entries.Count > MaxEntries)
            {
                yield return Rejected(zipName, $"{zipName}: {zip.Entries.Count} entries is over the limit of {MaxEntries}.");
                yield break;
            }
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                if (name.EndsWith('/'))
                {
                    continue;
                }
                var source = $"{zipName}:{name}";
                var segments = name.Split('/');
                if (name.StartsWith('/') || (name.Length > 1 && name[1] == ':') || segments.Any(s => s == ".."))
                {
                    yield return Rejected(source, $"{source}: refused, the path leaves the archive (absolute or '..').");
                    continue;
                }
                if (segments.Any(s => s.StartsWith('.')) || segments[0] == "__MACOSX")
                {
                    continue; // hidden files and macOS resource forks are not images
                }
                if (entry.Length > MaxEntryBytes || (entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > MaxCompressionRatio && entry.Length > 1_048_576))
                {
                    yield return Rejected(source, $"{source}: refused, it expands to {entry.Length / 1_048_576} MB (limit {MaxEntryBytes / 1_048_576} MB, ratio {MaxCompressionRatio}:1).");
                    continue;
                }
                total += entry.Length;
                if (total > MaxTotalBytes)
                {
                    yield return Rejected(source, $"{zipName}: the archive expands past {MaxTotalBytes >> 30} GB; the rest is skipped.");
                    yield break;
                }
                var (bytes, error) = ReadBounded(entry, source);
                // ImageFolder layout: the folder that holds the file names its class.
                var label = segments.Length >= 2 ? segments[^2] : null;
                yield return error is not null ? Rejected(source, error) : new Candidate(source, bytes, null, label is null ? [] : [label]);
            }
        }
    }

    /// <summary>Reads an entry without trusting its declared size: a lying header cannot make us read more than the limit.</summary>
    private static (byte[]? Bytes, string? Error) ReadBounded(ZipArchiveEntry entry, string source)
    {
        try
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxEntryBytes)
                {
                    return (null, $"{source}: refused, it expands past {MaxEntryBytes / 1_048_576} MB.");
                }
            }
            return (buffer.ToArray(), null);
        }
        catch (InvalidDataException)
        {
            return (null, $"{source}: the archive entry is damaged.");
        }
    }

    public static IEnumerable<Candidate> Texts(string path, string fileName, TextColumns columns)
    {
        string? content;
        string? error = null;
        try
        {
            content = ReadText(path);
        }
        catch (DecoderFallbackException e)
        {
            content = null;
            error = $"{fileName}: not UTF-8 text (bad bytes near offset {e.Index}); save it as UTF-8 and import again.";
        }
        if (content is null)
        {
            yield return Rejected(fileName, error!);
            yield break;
        }
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        var candidates = ext switch
        {
            ".csv" => Csv(content, fileName, columns),
            ".jsonl" or ".ndjson" => JsonLines(content, fileName),
            ".txt" => content.Split('\n').Select((l, i) => (Line: l.TrimEnd('\r'), Number: i + 1)).Where(l => l.Line.Trim().Length > 0)
                .Select(l => new Candidate($"{fileName}:{l.Number}", null, l.Line.Trim(), [])),
            _ => [Rejected(fileName, $"{fileName}: text datasets import .csv, .jsonl or .txt files.")],
        };
        foreach (var candidate in candidates)
        {
            yield return candidate;
        }
    }

    private static IEnumerable<Candidate> Csv(string content, string fileName, TextColumns columns)
    {
        var config = new CsvConfiguration(System.Globalization.CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            BadDataFound = null,
            MissingFieldFound = null,
        };
        using var reader = new StringReader(content);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
        {
            yield return Rejected(fileName, $"{fileName}: the CSV has no header row.");
            yield break;
        }
        var textColumn = Find(header, columns.Text ?? "text") ?? (header.Length == 1 ? 0 : (int?)null);
        if (textColumn is null)
        {
            yield return Rejected(fileName, $"{fileName}: no column named '{columns.Text ?? "text"}' (columns: {string.Join(", ", header)}).");
            yield break;
        }
        var labelColumn = Find(header, columns.Label ?? "label");
        if (columns.Label is not null && labelColumn is null)
        {
            yield return Rejected(fileName, $"{fileName}: no label column named '{columns.Label}' (columns: {string.Join(", ", header)}).");
            yield break;
        }
        while (csv.Read())
        {
            var row = csv.Parser.Row;
            var source = $"{fileName}:{row}";
            if (csv.Parser.Count != header.Length)
            {
                yield return Rejected(source, $"{source}: {csv.Parser.Count} fields where the header has {header.Length}; the row is skipped.");
                continue;
            }
            var text = Unneutralise(csv.GetField(textColumn.Value)?.Trim());
            if (string.IsNullOrEmpty(text))
            {
                yield return Rejected(source, $"{source}: the text is empty.");
                continue;
            }
            var label = labelColumn is null ? null : Unneutralise(csv.GetField(labelColumn.Value));
            yield return new Candidate(source, null, text, SplitLabels(label));
        }
    }

    private static IEnumerable<Candidate> JsonLines(string content, string fileName)
    {
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var source = $"{fileName}:{i + 1}";
            Candidate candidate;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var text = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!.Trim() : null;
                IReadOnlyList<string> labels = !root.TryGetProperty("label", out var l) && !root.TryGetProperty("labels", out l) ? []
                    : l.ValueKind == JsonValueKind.Array ? [.. l.EnumerateArray().Select(x => x.ToString())]
                    : l.ValueKind is JsonValueKind.Null ? [] : SplitLabels(l.ToString());
                candidate = string.IsNullOrEmpty(text)
                    ? Rejected(source, $"{source}: no \"text\" string.")
                    : new Candidate(source, null, text, labels);
            }
            catch (JsonException)
            {
                candidate = Rejected(source, $"{source}: not a JSON object.");
            }
            yield return candidate;
        }
    }

    private static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        // UTF-16 with a byte-order mark is unambiguous; anything else must be valid UTF-8.
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
        {
            return Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2);
        }
        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
        {
            return Encoding.BigEndianUnicode.GetString(bytes, 2, bytes.Length - 2);
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
    }

    /// <summary>Our CSV export puts an apostrophe before a leading =, +, -, @, tab, CR (formula injection) or apostrophe; reading
    /// it back removes it, so any text or label makes the round trip unchanged.</summary>
    private static string? Unneutralise(string? value) =>
        value is { Length: > 1 } && value[0] == '\'' && value[1] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'' ? value[1..] : value;

    private static int? Find(string[] header, string name)
    {
        var index = Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : index;
    }

    private static IReadOnlyList<string> SplitLabels(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : [.. value.Split(LabelSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static Candidate Rejected(string source, string message) => new(source, null, null, [], message);
}
