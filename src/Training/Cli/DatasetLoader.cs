using System.Globalization;
using TransferHub.Training.Data;

namespace TransferHub.Training.Cli;

// Resolves --data: an ImageFolder directory (with train/ and val/ [test/] subfolders, or one folder split
// 70/15/15 by seed), a .jsonl text file (optionally with --val/--test files), or synthetic:shapes[:N] /
// synthetic:colours[:N].
internal static class DatasetLoader
{
    public static (DataSplits Splits, IReadOnlyList<string> Classes) Load(
        string data, string? validation, string? test, int imageSize, int seed, string cacheDir, ITextTokenizer? tokenizer = null)
    {
        if (data.StartsWith("synthetic:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = data.Split(':');
            var label = parts[1].StartsWith("colour", StringComparison.OrdinalIgnoreCase) ? SyntheticLabel.Colour : SyntheticLabel.Shape;
            var count = parts.Length > 2 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 2000;
            var all = SyntheticShapes.Generate(count, seed, label, size: imageSize);
            var classes = Enumerable.Range(0, all.NumClasses).Select(i => $"{label.ToString().ToLowerInvariant()}-{i}").ToList();
            return (DataSplits.Split(all, 0.15, 0.15, seed), classes);
        }

        if (data.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var classes = JsonlText.ClassNames(data);
            var train = JsonlText.Load(data, classes, tokenizer: tokenizer);
            return (Complete(train, validation is null ? null : JsonlText.Load(validation, classes, tokenizer: tokenizer),
                test is null ? null : JsonlText.Load(test, classes, tokenizer: tokenizer), seed), classes);
        }

        if (!Directory.Exists(data)) throw new CliException($"--data '{data}' is neither a folder, a .jsonl file nor synthetic:<task>.");
        var trainDir = Path.Combine(data, "train");
        if (Directory.Exists(trainDir))
        {
            var classes = ImageFolder.ClassNames(trainDir);
            var valDir = new[] { "val", "validation" }.Select(d => Path.Combine(data, d)).FirstOrDefault(Directory.Exists);
            var testDir = Path.Combine(data, "test");
            return (Complete(ImageFolder.LoadCached(trainDir, imageSize, cacheDir, classes),
                valDir is null ? null : ImageFolder.LoadCached(valDir, imageSize, cacheDir, classes),
                Directory.Exists(testDir) ? ImageFolder.LoadCached(testDir, imageSize, cacheDir, classes) : null, seed), classes);
        }
        var folderClasses = ImageFolder.ClassNames(data);
        return (DataSplits.Split(ImageFolder.LoadCached(data, imageSize, cacheDir, folderClasses), 0.15, 0.15, seed), folderClasses);
    }

    // Fills missing validation/test splits from the training set (seeded).
    private static DataSplits Complete(LabeledTensors train, LabeledTensors? validation, LabeledTensors? test, int seed)
    {
        if (validation is not null && test is not null) return new DataSplits(train, validation, test);
        var fraction = validation is null && test is null ? 0.15 : 0.2;
        var split = DataSplits.Split(train, validation is null ? fraction : 0, test is null ? fraction : 0, seed);
        train.Dispose();
        if (validation is not null) split.Validation.Dispose();
        if (test is not null) split.Test.Dispose();
        return new DataSplits(split.Train, validation ?? split.Validation, test ?? split.Test);
    }
}
