using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using TransferHub.Training.Weights;
using TransferHub.Training.Worker;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class TextBertTests : IDisposable
{
    private static readonly BertConfig Small = new(VocabSize: 40, HiddenSize: 32, Layers: 2, Heads: 4, IntermediateSize: 64, MaxPositions: 32);
    private readonly string _folder = Directory.CreateTempSubdirectory("th-bert-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void WordPieceWrapsPiecesInClsAndSepPadsAndKeepsSepWhenCut()
    {
        var tokenizer = WordPieceText.FromVocabulary("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nplay\n##ing\nthe\n");

        tokenizer.Encode("The playing", 8).ShouldBe([2L, 7, 5, 6, 3, 0, 0, 0]);
        tokenizer.Encode("the the the the the the", 4).ShouldBe([2L, 7, 7, 3]);
        tokenizer.Encode("zebra", 4).ShouldBe([2L, 1, 3, 0]); // unknown word → [UNK]
    }

    [Fact]
    public void AVocabularyWithoutBertsSpecialTokensIsRefused()
    {
        var error = Should.Throw<InvalidDataException>(() => WordPieceText.FromVocabulary("[PAD]\n[UNK]\nhello\n"));

        error.Message.ShouldContain("[CLS], [SEP], [MASK]");
    }

    [Fact]
    public void AScratchVocabularySpellsUnseenWordsFromCharactersInsteadOfUnk()
    {
        var tokenizer = WordPieceText.FromVocabulary(WordPieceText.BuildVocabulary(["a good film", "a bad film"]));

        var ids = tokenizer.Encode("doom", 12);

        ids.ShouldNotContain(1L); // [UNK]
        ids.Count(id => id > 4).ShouldBe(4); // d ##o ##o ##m
    }

    [Fact]
    public void PaddingDoesNotChangeTheFeatures()
    {
        using var model = GlobalRandom.Create(3, () => new TextBert(Small, 2));
        model.eval();
        long[] words = [2, 9, 12, 30, 3];

        using var shortRow = tensor(words.Concat(new long[3]).ToArray(), [1, 8]);
        using var longRow = tensor(words.Concat(new long[20]).ToArray(), [1, 25]);
        using var mixed = tensor(words.Concat(new long[3]).Concat(new long[] { 2, 9, 9, 9, 9, 9, 9, 3 }).ToArray(), [2, 8]);
        using var a = model.Features(shortRow);
        using var b = model.Features(longRow);
        using var c = model.Features(mixed);

        (a - b).abs().max().item<float>().ShouldBeLessThan(1e-5f);
        (a[0] - c[0]).abs().max().item<float>().ShouldBeLessThan(1e-5f);
    }

    [Fact]
    public void AHuggingFaceFolderLoadsWithBertPrefixLegacyLayerNormNamesAndTheHeadCountFromConfig()
    {
        var folder = WriteHuggingFaceFolder("hf", Small, out var original);
        using var ids = tensor(new long[] { 2, 9, 12, 30, 3, 0, 2, 5, 6, 7, 8, 3 }, [2, 6]);
        using var expected = original.forward(ids);

        var info = WeightsImport.FromHuggingFaceFolder(folder, PathOf("ours.safetensors"));
        var metadata = SafeTensors.ReadMetadata(PathOf("ours.safetensors"));
        using var reloaded = ModelRegistry.Create(info.Architecture, info.NumClasses, metadata);
        ModelWeights.Import(reloaded, PathOf("ours.safetensors"), includeHead: true);
        reloaded.eval();
        using var actual = reloaded.forward(ids);

        info.Architecture.ShouldBe("text-bert");
        info.NumClasses.ShouldBe(3);
        ((TextBert)reloaded).Config.Heads.ShouldBe(4); // from config.json; width / 64 would say 1
        (actual - expected).abs().max().item<float>().ShouldBeLessThan(1e-5f);
        ModelRegistry.TokenizerFor("text-bert", metadata).Encode("w1 w2", 4).ShouldBe([2L, 6, 7, 3]);
        original.Dispose();
    }

    [Fact]
    public void AConfigThatContradictsTheTensorsAndAMissingVocabularyAreRefusedByName()
    {
        var folder = WriteHuggingFaceFolder("wrong", Small, out var model);
        model.Dispose();
        File.WriteAllText(Path.Combine(folder, "config.json"), (Small with { Layers = 4 }).ToJson());
        var contradiction = Should.Throw<ArgumentException>(() => WeightsImport.FromHuggingFaceFolder(folder, PathOf("a.safetensors")));
        File.Delete(Path.Combine(folder, "vocab.txt"));
        var noVocabulary = Should.Throw<ArgumentException>(() => WeightsImport.FromHuggingFaceFolder(folder, PathOf("b.safetensors")));

        contradiction.Message.ShouldContain("num_hidden_layers 4 in config.json, 2 in the tensors");
        noVocabulary.Message.ShouldContain("vocab.txt");
        File.Exists(PathOf("a.safetensors")).ShouldBeFalse();
    }

    [Fact]
    public void AZippedFolderImportsFromItsSubfolderAndARawFileWithoutVocabularyIsRefused()
    {
        var folder = WriteHuggingFaceFolder("zipped", Small, out var model);
        model.Dispose();
        var zip = PathOf("bert.zip");
        File.WriteAllBytes(zip, HuggingFaceFolder.Zip(folder, "my-bert"));
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            archive.CreateEntry("../../escape.txt");
        }

        var info = WeightsImport.Import(zip, null, null, PathOf("from-zip.safetensors"));
        var raw = Should.Throw<ArgumentException>(() => WeightsImport.Import(Path.Combine(folder, "model.safetensors"), "text-bert", null, PathOf("raw.safetensors")));

        info.Architecture.ShouldBe("text-bert");
        File.Exists(Path.Combine(_folder, "..", "..", "escape.txt")).ShouldBeFalse();
        raw.Message.ShouldContain(".zip");
    }

    [Fact]
    public void APretrainedEncoderBeatsTheSameEncoderFromScratchWithFewLabels()
    {
        // Source: plenty of labelled reviews. Target: 24 labelled reviews of the same kind, most test words unseen in them.
        var source = WriteReviews("source", train: 600, seed: 1);
        var target = WriteReviews("target", train: 24, seed: 2);
        var pretrained = Train(source, TrainingStrategy.Baseline, null, seed: 1, epochs: 6);
        pretrained.Result.Test.Accuracy.ShouldBeGreaterThan(0.95);

        var gains = new List<double>();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var scratch = Train(target, TrainingStrategy.Baseline, null, seed, epochs: 15);
            var transfer = Train(target, TrainingStrategy.FineTune, pretrained.ModelPath, seed, epochs: 15);
            gains.Add(transfer.Result.Test.MacroF1 - scratch.Result.Test.MacroF1);
            SafeTensors.ReadMetadata(transfer.ModelPath)[BertRecipe.VocabularyKey]
                .ShouldBe(SafeTensors.ReadMetadata(pretrained.ModelPath)[BertRecipe.VocabularyKey]); // the source's tokenizer travelled
        }

        gains.Average().ShouldBeGreaterThan(0.15);
        gains.ShouldAllBe(g => g > 0);
    }

    private LocalRunResult Train(string trainJsonl, TrainingStrategy strategy, string? source, int seed, int epochs)
    {
        var spec = new TrainingJobSpec(BertRecipe.Architecture, strategy, Seed: seed, Epochs: epochs, BatchSize: 16,
            LearningRate: strategy == TrainingStrategy.Baseline ? 1e-3 : 5e-4, Patience: 0, SourceWeights: source, Device: "cpu");
        var output = PathOf($"run-{Guid.NewGuid():N}");
        return LocalTraining.Run(trainJsonl, spec, 32, output, PathOf("cache"), NullLogger<Trainer>.Instance, null, null, CancellationToken.None);
    }

    // Sentiment carried by one keyword among filler; the target draws keywords the source saw but its own 24 rarely show.
    private string WriteHuggingFaceFolder(string name, BertConfig config, out TextBert model)
    {
        var folder = PathOf(name);
        model = HuggingFaceFolder.Write(folder, config, 3);
        return folder;
    }

    private string WriteReviews(string name, int train, int seed)
    {
        var folder = Directory.CreateDirectory(PathOf(name)).FullName;
        var random = new Random(seed);
        string[] good = ["great", "excellent", "lovely", "superb", "wonderful", "brilliant", "charming", "delightful"];
        string[] bad = ["awful", "broken", "terrible", "poor", "dreadful", "boring", "clumsy", "tedious"];
        string[] filler = ["the", "film", "was", "really", "and", "plot", "acting", "quite", "story", "ending"];
        IEnumerable<string> Lines(int count, int keywords) => Enumerable.Range(0, count).Select(i =>
        {
            var positive = i % 2 == 0;
            var words = Enumerable.Range(0, 7).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count), (positive ? good : bad)[random.Next(keywords)]);
            return $"{{\"text\": \"{string.Join(' ', words)}\", \"label\": \"{(positive ? "pos" : "neg")}\"}}";
        });
        // The target's few training labels use only two keywords per class; its validation and test use all eight.
        File.WriteAllLines(Path.Combine(folder, "train.jsonl"), Lines(train, name == "target" ? 2 : 8));
        File.WriteAllLines(Path.Combine(folder, "validation.jsonl"), Lines(60, 8));
        File.WriteAllLines(Path.Combine(folder, "test.jsonl"), Lines(200, 8));
        return Path.Combine(folder, "train.jsonl");
    }

}
