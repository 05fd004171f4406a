namespace TransferHub.Training.Models;

// Architectures by name; callers seed torch before Create so init is reproducible.
// Image models take [N, C, H, W] floats; text models take [N, L] hashed token ids.
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
            ["text-bag"] = (classes, _) => new TextBagOfEmbeddings(classes),
            ["text-cnn"] = (classes, _) => new TextCnn(classes),
        };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static bool IsText(string name) => name.StartsWith("text-", StringComparison.OrdinalIgnoreCase);

    public static ClassifierModel Create(string name, int numClasses, int inChannels = 3) =>
        Factories.TryGetValue(name, out var factory)
            ? factory(numClasses, inChannels)
            : throw new ArgumentException(
                $"Unknown architecture '{name}'. Known: {string.Join(", ", Factories.Keys)}.", nameof(name));
}
