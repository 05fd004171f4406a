using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;

namespace TransferHub.Tests.Unit.Training;

/// <summary>A run names its test items in the order of its predictions, so a confusion-matrix cell leads back to them.</summary>
[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class TestItemsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"th-test-items-{Guid.NewGuid():N}");

    [Fact]
    public void AnImageRunNamesItsTestFilesInTheOrderItPredictedThem()
    {
        var data = Path.Combine(root, "data");
        foreach (var split in new[] { "train", "validation", "test" })
        for (var i = 0; i < 8; i++)
        {
            var (label, colour) = i % 2 == 0 ? ("red", new SKColor(220, 20, 20)) : ("blue", new SKColor(20, 20, 220));
            Directory.CreateDirectory(Path.Combine(data, split, label));
            // Names out of step with the labels' order, as content hashes are.
            File.WriteAllBytes(Path.Combine(data, split, label, $"{(char)('z' - i)}{i:x2}.png"), TestImages.Solid(8, 8, colour));
        }

        var run = Run(data, "small-cnn");

        run.Result.TestItems.ShouldBe(["s07", "u05", "w03", "y01", "t06", "v04", "x02", "z00"]); // blue's files, then red's, each in name order
        run.Result.TestLabels.ShouldBe([0, 0, 0, 0, 1, 1, 1, 1]);
        run.Result.TestPredictions!.Count.ShouldBe(8);
    }

    [Fact]
    public void ATextRunNamesItsTestLinesByTheirIdsAndNoneWhenALineHasNoId()
    {
        Directory.CreateDirectory(root);
        string[] words = ["good great fine", "bad awful poor"];
        foreach (var split in new[] { "train", "validation", "test" })
            File.WriteAllLines(Path.Combine(root, $"{split}.jsonl"), Enumerable.Range(0, 10).Select(i =>
                JsonSerializer.Serialize(new { text = words[i % 2], label = i % 2 == 0 ? "pos" : "neg", id = $"{split}-{i}" })));

        Run(Path.Combine(root, "train.jsonl"), "text-bag").Result.TestItems.ShouldBe(Enumerable.Range(0, 10).Select(i => $"test-{i}").ToList());

        File.AppendAllLines(Path.Combine(root, "test.jsonl"), [JsonSerializer.Serialize(new { text = "fine", label = "pos" })]);
        Run(Path.Combine(root, "train.jsonl"), "text-bag").Result.TestItems.ShouldBeNull(); // better no names than shifted ones
    }

    private LocalRunResult Run(string data, string architecture) => LocalTraining.Run(data,
        new TrainingJobSpec(architecture, TrainingStrategy.Baseline, Epochs: 1, BatchSize: 4, Patience: 0, Device: "cpu"), 8,
        Path.Combine(root, $"out-{Guid.NewGuid():N}"), Path.Combine(root, "cache"), NullLogger<Trainer>.Instance, null, null, CancellationToken.None);

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}
