using TransferHub.Training.Data;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Models.Onnx;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Models;

// Architectures by name. Construction draws initial weights from libtorch's global generator, so it happens under
// GlobalRandom's lock; callers that need a reproducible init create through GlobalRandom.Create(seed, …).
// Image models take [N, C, H, W] floats; text models take [N, L] token ids (hashed words, or WordPiece for text-bert).
public static class ModelRegistry
{
    private static readonly Dictionary<string, Func<int, int, ClassifierModel>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["small-cnn"] = (classes, channels) => new SmallCnn(classes, channels),
            ["small-cnn-16"] = (classes, channels) => new SmallCnn(classes, channels, width: 16),
            ["resnet18"] = (classes, channels) => ResNet.ResNet18(classes, channels),
            ["resnet34"] = (classes, channels) => ResNet.ResNet34(classes, channels),
            ["resnet50"] = (classes, channels) => ResNet.ResNet50(classes, channels),
            ["mobilenet-v2"] = (classes, channels) => new MobileNetV2(classes, channels),
            ["efficientnet-b0"] = (classes, channels) => new EfficientNet(classes, channels),
            ["text-bag"] = (classes, _) => new TextBagOfEmbeddings(classes),
            ["text-cnn"] = (classes, _) => new TextCnn(classes),
            // Without a recipe: BERT-tiny's shape over a scratch-sized vocabulary (what a probe or estimate needs).
            [BertRecipe.Architecture] = (classes, _) => new TextBert(new BertConfig(BertRecipe.ScratchVocabularySize), classes),
        };

    public static IReadOnlyCollection<string> Names { get; } = [.. Factories.Keys, OnnxGraphSpec.Architecture];

    public static bool IsText(string name) => name.StartsWith("text-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A model shaped by a file's metadata where the architecture needs it (text-bert's config and vocabulary);
    /// other architectures ignore the metadata.
    /// </summary>
    public static ClassifierModel Create(string name, int numClasses, IReadOnlyDictionary<string, string>? metadata, int inChannels = 3) =>
        BertRecipe.Applies(name) && metadata is not null && BertRecipe.FromMetadata(metadata) is { } recipe
            ? GlobalRandom.Draw<ClassifierModel>(() => new TextBert(recipe.Config, numClasses))
            : OnnxGraphSpec.Applies(name) && metadata is not null && OnnxGraphSpec.FromMetadata(metadata) is { } graph
                ? GlobalRandom.Draw<ClassifierModel>(() => new OnnxGraphModel(graph, numClasses))
                : Create(name, numClasses, inChannels);

    /// <summary>How a text architecture tokenizes, given its file's metadata (text-bert: the vocabulary in it).</summary>
    /// <exception cref="InvalidDataException">A text-bert file without a vocabulary.</exception>
    public static ITextTokenizer TokenizerFor(string name, IReadOnlyDictionary<string, string> metadata) =>
        !BertRecipe.Applies(name) ? HashedWords.Default
            : (BertRecipe.FromMetadata(metadata) ?? throw new InvalidDataException("This text-bert model carries no vocabulary.")).Tokenizer;

    public static ClassifierModel Create(string name, int numClasses, int inChannels = 3) =>
        Factories.TryGetValue(name, out var factory)
            ? GlobalRandom.Draw(() => factory(numClasses, inChannels))
            : OnnxGraphSpec.Applies(name)
                ? throw new ArgumentException("An onnx-graph model is shaped by its imported graph: pick an imported ONNX source.", nameof(name))
                : throw new ArgumentException($"Unknown architecture '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
}
