using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Worker;

/// <summary>Learning-rate sweeps kept per dataset version (in its cache folder), keyed by everything that decides the
/// outcome: the arm's optimization settings, the source's bytes, the image size and the label share — not the seed.</summary>
internal static class RateSearches
{
    private static readonly Lock Gate = new();

    public static LearningRateSearch GetOrRun(string cacheDir, TrainingJobSpec spec, int imageSize, double labelFraction, Func<LearningRateSearch> run)
    {
        var file = Path.Combine(cacheDir, "lr-range", Key(spec, imageSize, labelFraction) + ".json");
        // One sweep at a time per process: two seeds of an arm starting together would otherwise both run it.
        lock (Gate)
        {
            if (TryRead(file) is { } cached) return cached;
            var search = run();
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(search));
            File.Move(temporary, file, overwrite: true);
            return search;
        }
    }

    /// <summary>The spec to train with: the chosen rate, a new head's rate kept in its ratio to it.</summary>
    public static TrainingJobSpec Apply(TrainingJobSpec spec, LearningRateSearch search)
    {
        if (!search.Decided) return spec;
        var ratio = search.Chosen / spec.LearningRate;
        return spec with { LearningRate = search.Chosen, HeadLearningRate = spec.HeadLearningRate * ratio };
    }

    private static LearningRateSearch? TryRead(string file)
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<LearningRateSearch>(File.ReadAllText(file)) : null;
        }
        catch (JsonException)
        {
            return null; // a torn or foreign file: run the test again and overwrite it
        }
    }

    private static string Key(TrainingJobSpec spec, int imageSize, double labelFraction)
    {
        var settings = spec with
        {
            Seed = 0, Device = "", Patience = 0, PatienceSteps = null, EvaluateEverySteps = null,
            SourceWeights = HashOf(spec.SourceWeights), ShapeWeights = HashOf(spec.ShapeWeights),
        };
        var text = $"{JsonSerializer.Serialize(settings)}|{imageSize}|{labelFraction:R}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    private static string? HashOf(string? path)
    {
        if (path is null) return null;
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
