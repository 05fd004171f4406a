using System.Text.Json;
using TransferHub.Training.Cli;
using TransferHub.Training.Weights;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class CliTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("th-cli-").FullName;

    [Fact]
    public void TrainWritesMetricsModelAndSummaryAndScoreRanksSources()
    {
        var source = Path.Combine(folder, "source");
        var target = Path.Combine(folder, "target");

        Train(source, "--data", "synthetic:shapes:600", "--arch", "small-cnn", "--epochs", "3", "--lr", "3e-3", "--image-size", "16");
        Train(target, "--data", "synthetic:shapes:200", "--arch", "small-cnn", "--strategy", "fine-tune",
            "--weights", Path.Combine(source, "model.safetensors"), "--epochs", "2", "--image-size", "16", "--seed", "2");

        File.ReadAllLines(Path.Combine(source, "metrics.jsonl")).Length.ShouldBe(3);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(target, "summary.json")));
        summary.RootElement.GetProperty("result").GetProperty("spec").GetProperty("strategy").GetString().ShouldBe("fine-tune");
        var metadata = new Dictionary<string, string>();
        foreach (var t in ModelWeights.Read(Path.Combine(target, "model.safetensors"), metadata).Values) t.Dispose();
        metadata[ModelWeights.ArchitectureKey].ShouldBe("small-cnn");
        metadata[ModelWeights.NumClassesKey].ShouldBe("8");
    }

    [Fact]
    public void TrainsFromAnImageFolderWithTrainAndValSubfolders()
    {
        WriteColourFolder(Path.Combine(folder, "images", "train"), 24);
        WriteColourFolder(Path.Combine(folder, "images", "val"), 8);
        var outDir = Path.Combine(folder, "run");

        Train(outDir, "--data", Path.Combine(folder, "images"), "--epochs", "4", "--lr", "1e-2", "--image-size", "8",
            "--batch", "8", "--cache-dir", Path.Combine(folder, "cache"), "--augment");

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ShouldBe(["blue", "red"]);
        summary.RootElement.GetProperty("result").GetProperty("test").GetProperty("accuracy").GetDouble().ShouldBeGreaterThan(0.9);
    }

    [Fact]
    public void ValAndTestFoldersAreUsedAsGivenForAFlatImageFolder()
    {
        // They used to be ignored for image folders: the test split was 15 % of --data, silently.
        WriteColourFolder(Path.Combine(folder, "train"), 20);
        WriteColourFolder(Path.Combine(folder, "val"), 6);
        WriteColourFolder(Path.Combine(folder, "test"), 9);
        var outDir = Path.Combine(folder, "run");

        Train(outDir, "--data", Path.Combine(folder, "train"), "--val", Path.Combine(folder, "val"), "--test", Path.Combine(folder, "test"),
            "--epochs", "1", "--image-size", "8", "--batch", "8", "--cache-dir", Path.Combine(folder, "cache"));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var result = summary.RootElement.GetProperty("result");
        result.GetProperty("test").GetProperty("perClass").EnumerateArray().Sum(c => c.GetProperty("support").GetInt32()).ShouldBe(18);
        result.GetProperty("epochs")[0].GetProperty("validation").GetProperty("perClass").EnumerateArray()
            .Sum(c => c.GetProperty("support").GetInt32()).ShouldBe(12);
        Should.Throw<CliException>(() => Train(outDir, "--data", Path.Combine(folder, "train"), "--val", Path.Combine(folder, "nowhere"),
            "--epochs", "1", "--image-size", "8", "--cache-dir", Path.Combine(folder, "cache"))).Message.ShouldContain("--val");
    }

    [Fact]
    public void UnknownOptionsAndMissingWeightsAreErrors()
    {
        Should.Throw<CliException>(() => TrainCommand.Run(new CliArguments(["--data", "synthetic:shapes", "--out", folder, "--epocs", "3"]), default))
            .Message.ShouldContain("--epocs");
        Should.Throw<CliException>(() => TrainCommand.Run(new CliArguments(["--data", "synthetic:shapes", "--out", folder, "--strategy", "fine-tune"]), default))
            .Message.ShouldContain("--weights");
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // Two classes of flat colour with random alpha, perClass images each.
    private static void WriteColourFolder(string root, int perClass)
    {
        var random = new Random(root.Length + perClass);
        foreach (var (name, colour) in new[] { ("red", SkiaSharp.SKColors.Red), ("blue", SkiaSharp.SKColors.Blue) })
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
            for (var i = 0; i < perClass; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), TestImages.Solid(12, 12, colour.WithAlpha((byte)random.Next(160, 256))));
            }
        }
    }

    private static void Train(string outDir, params string[] args) =>
        TrainCommand.Run(new CliArguments([.. args, "--out", outDir]), default).ShouldBe(0);
}
