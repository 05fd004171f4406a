using System.Text.RegularExpressions;

namespace TransferHub.Web.Features.Weights.Hub;

/// <summary>What a Hub repository, revision and file may be called (nothing that walks out of a URL path), and which files an import takes.</summary>
public static partial class HubNames
{
    private static readonly string[] BertFiles = ["model.safetensors", "vocab.txt", "config.json"];

    /// <summary>Transformers model types whose checkpoints load as text-bert.</summary>
    public static readonly IReadOnlySet<string> KnownModelTypes = new SortedSet<string>(StringComparer.Ordinal) { "bert" };

    /// <summary>config.json's <c>model_type</c>, or null when it has none or is not JSON.</summary>
    public static string? ModelType(string configJson)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(configJson);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && json.RootElement.TryGetProperty("model_type", out var type)
                && type.ValueKind == System.Text.Json.JsonValueKind.String ? type.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static bool IsRepo(string repo) => repo.Length <= 96 && Repo().IsMatch(repo) && !repo.Contains("..", StringComparison.Ordinal);

    public static bool IsRevision(string revision) => revision.Length <= 96 && Revision().IsMatch(revision) && !revision.Contains("..", StringComparison.Ordinal);

    public static bool IsFile(string file) => file.Length <= 200 && FilePath().IsMatch(file) && !file.Split('/').Contains("..");

    /// <summary>The chosen file, else a BERT folder (model.safetensors, vocab.txt, config.json[, tokenizer_config.json]), else
    /// model.safetensors, else the repository's only .safetensors or .onnx file.</summary>
    /// <exception cref="HubException">Nothing importable, or the choice is ambiguous.</exception>
    public static IReadOnlyList<HubFile> Pick(IReadOnlyList<HubFile> files, string? chosen)
    {
        if (chosen is not null)
        {
            var file = files.FirstOrDefault(f => f.Path == chosen) ?? throw new HubException($"The repository has no file {chosen}.", System.Net.HttpStatusCode.NotFound);
            return file.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || file.Path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
                ? [file]
                : throw new HubException($"{chosen} is not a .safetensors or .onnx file.", System.Net.HttpStatusCode.BadRequest);
        }
        if (BertFiles.All(name => files.Any(f => f.Path == name)))
        {
            return [.. files.Where(f => BertFiles.Contains(f.Path) || f.Path == "tokenizer_config.json")];
        }
        if (files.FirstOrDefault(f => f.Path == "model.safetensors") is { } model)
        {
            return [model];
        }
        var candidates = files.Where(f => f.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || f.Path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)).ToList();
        return candidates.Count switch
        {
            1 => candidates,
            0 => throw new HubException("The repository has no safetensors or ONNX weights (pytorch_model.bin is not read: it is a pickle and can run code).", System.Net.HttpStatusCode.BadRequest),
            _ => throw new HubException($"The repository has several weight files ({string.Join(", ", candidates.Take(5).Select(c => c.Path))}): name one as 'file'.", System.Net.HttpStatusCode.BadRequest),
        };
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)?$")]
    private static partial Regex Repo();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")]
    private static partial Regex Revision();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-][A-Za-z0-9_.\-/]*$")]
    private static partial Regex FilePath();
}
