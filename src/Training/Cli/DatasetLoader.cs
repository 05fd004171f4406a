using System.Globalization;
using TransferHub.Training.Data;

namespace TransferHub.Training.Cli;

// Resolves --data: an ImageFolder directory (with train/ and val/ [test/] subfolders, or one folder split
// 70/15/15 by seed; --val/--test folders used when given), a .jsonl text file (optionally with --val/--test
// files), or synthetic:shapes[:N] / synthetic:colours[:N].
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
        // data/train (+ val/ or validation/, test/) or one folder of classes; --val/--test folders win over subfolders.
        var trainDir = Path.Combine(data, "train");
        var hasLayout = Directory.Exists(trainDir);
        var root = hasLayout ? trainDir : data;
        validation ??= hasLayout ? new[] { "val", "validation" }.Select(d => Path.Combine(data, d)).FirstOrDefault(Directory.Exists) : null;
        test ??= hasLayout && Directory.Exists(Path.Combine(data, "test")) ? Path.Combine(data, "test") : null;
        var folderClasses = ImageFolder.ClassNames(root);
        LabeledTensors? Folder(string? dir, string option) => dir is null ? null
            : Directory.Exists(dir) ? ImageFolder.LoadCached(dir, imageSize, cacheDir, folderClasses)
            : throw new CliException($"{option} '{dir}' is not a folder (with --data an image folder, --val and --test are image folders too).");
        var validationSet = Folder(validation, "--val");
        var testSet = Folder(test, "--test");
        return (Complete(ImageFolder.LoadCached(root, imageSize, cacheDir, folderClasses), validationSet, testSet, seed), folderClasses);
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
