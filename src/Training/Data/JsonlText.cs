using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// JSONL text classification ({"text": "...", "label": "..."} per line, and an optional "id"). By default tokens are lower-cased words
// hashed into a fixed number of buckets (id 0 is padding), so no vocabulary file has to travel with the model;
// text-bert passes its WordPiece tokenizer instead.
public static class JsonlText
{
    public const int DefaultBuckets = 1 << 15;

    public static IReadOnlyList<string> ClassNames(string path) =>
        ReadLines(path).Select(l => l.Label).Distinct().Order(StringComparer.Ordinal).ToList();

    public static LabeledTensors Load(string path, IReadOnlyList<string>? classes = null, int maxTokens = 128, ITextTokenizer? tokenizer = null)
    {
        tokenizer ??= HashedWords.Default;
        var rows = ReadLines(path).ToList();
        classes ??= rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        var ids = new long[rows.Count * maxTokens];
        var labels = new long[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            if (!index.TryGetValue(rows[r].Label, out labels[r]))
                throw new InvalidDataException($"{path}: label '{rows[r].Label}' is not one of {string.Join(", ", classes)}.");
            tokenizer.Encode(rows[r].Text, maxTokens).CopyTo(ids, r * maxTokens);
        }
        return new LabeledTensors(tensor(ids, [rows.Count, maxTokens]), tensor(labels), classes.Count);
    }

    public static IEnumerable<long> Tokenise(string text, int buckets)
    {
        var word = new StringBuilder();
        foreach (var ch in text.Append(' '))
        {
            if (char.IsLetterOrDigit(ch)) { word.Append(char.ToLowerInvariant(ch)); continue; }
            if (word.Length == 0) continue;
            yield return 1 + (long)(Fnv1a(word.ToString()) % (uint)(buckets - 1));
            word.Clear();
        }
    }

    private static uint Fnv1a(string s)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) hash = (hash ^ b) * 16777619u;
        return hash;
    }

    /// <summary>The lines' "id"s, in order; null when a line has none.</summary>
    public static IReadOnlyList<string>? Ids(string path)
    {
        var ids = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String) return null;
            ids.Add(id.GetString()!);
        }
        return ids;
    }

    /// <summary>The texts of a JSONL file, in order (to build a vocabulary from).</summary>
    public static IEnumerable<string> Texts(string path) => ReadLines(path).Select(r => r.Text);

    private static IEnumerable<(string Text, string Label)> ReadLines(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("text", out var text) || !root.TryGetProperty("label", out var label))
                throw new InvalidDataException($"{path}:{number}: expected an object with \"text\" and \"label\".");
            yield return (text.GetString() ?? "", label.ValueKind == JsonValueKind.String ? label.GetString()! : label.GetRawText());
        }
    }
}
