using TransferHub.Shared.Weights;

namespace TransferHub.Web.Features.Weights.Hub;

/// <summary>
/// Hub models whose tensors load one to one into an architecture here: timm's ResNets use torchvision's names
/// (conv1, bn1, layer1–4, fc), timm's EfficientNet-B0 and MobileNetV2 have torchvision's layers under timm's names (renamed at
/// import: Training's TimmNames), and BERT-family encoders load as text-bert with their vocabulary. The names are checked
/// against the architecture at import like any file's; picking one fills in the architecture the file does not name.
/// </summary>
public static class HubCatalog
{
    private const string ImageNetInput = "RGB, ImageNet mean/std (224 px at pretraining)";

    public static IReadOnlyList<HubCatalogEntry> Entries { get; } =
    [
        new("timm/resnet18.a1_in1k", "resnet18", "ResNet-18, ImageNet-1k (timm A1 recipe)", ImageNetInput),
        new("timm/resnet50.a1_in1k", "resnet50", "ResNet-50, ImageNet-1k (timm A1 recipe)", ImageNetInput),
        new("timm/resnet18.tv_in1k", "resnet18", "ResNet-18, ImageNet-1k (torchvision's original weights)", ImageNetInput),
        new("timm/resnet50.tv_in1k", "resnet50", "ResNet-50, ImageNet-1k (torchvision's original weights)", ImageNetInput),
        new("timm/efficientnet_b0.ra_in1k", "efficientnet-b0", "EfficientNet-B0, ImageNet-1k (timm RandAugment recipe; timm's names mapped)", ImageNetInput),
        new("timm/mobilenetv2_100.ra_in1k", "mobilenet-v2", "MobileNetV2, ImageNet-1k (timm RandAugment recipe; timm's names mapped)", ImageNetInput),
        new("google/bert_uncased_L-2_H-128_A-2", "text-bert", "BERT-tiny, uncased (2 layers, 128 wide)", "WordPiece, lower-cased, vocabulary from the repository"),
        new("google-bert/bert-base-uncased", "text-bert", "BERT-base, uncased", "WordPiece, lower-cased, vocabulary from the repository"),
        new("sentence-transformers/all-MiniLM-L6-v2", "text-bert", "MiniLM-L6 sentence encoder", "WordPiece, lower-cased, vocabulary from the repository"),
    ];

    /// <summary>The catalog with each entry marked when the offline folder holds it.</summary>
    public static IReadOnlyList<HubCatalogEntry> For(IReadOnlySet<string> offline) =>
        [.. Entries.Select(e => e with { InOfflineFolder = offline.Contains(e.Repo) })];

    public static string? ArchitectureOf(string repo) =>
        Entries.FirstOrDefault(e => e.Repo.Equals(repo, StringComparison.OrdinalIgnoreCase))?.Architecture;
}
