using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// Kim-style TextCNN over hashed-token embeddings: 1-D convolutions of widths 3, 4, 5, ReLU, max over time,
// concatenated, linear head. Blocks: the embedding, then the convolutions.
public sealed class TextCnn : ClassifierModel
{
    private readonly Embedding embedding;
    private readonly Conv1d conv3;
    private readonly Conv1d conv4;
    private readonly Conv1d conv5;
    private readonly Linear head;

    public TextCnn(int numClasses, int buckets = Data.JsonlText.DefaultBuckets, int dim = 64, int filters = 64) : base(nameof(TextCnn))
    {
        embedding = nn.Embedding(buckets, dim, padding_idx: 0);
        conv3 = nn.Conv1d(dim, filters, 3, padding: 1);
        conv4 = nn.Conv1d(dim, filters, 4, padding: 2);
        conv5 = nn.Conv1d(dim, filters, 5, padding: 2);
        head = nn.Linear(3 * filters, numClasses);
        FeatureDim = 3 * filters;
        RegisterComponents();
    }

    public override string HeadName => "head";

    public override Linear Head => head;

    public override int FeatureDim { get; }

    public override IReadOnlyList<ModelBlock> Blocks => [new("embedding", embedding), new("convolutions", conv3, conv4, conv5)];

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = embedding.forward(input).transpose(1, 2); // [N, dim, L]
        var pooled = new[] { conv3, conv4, conv5 }.Select(c => nn.functional.relu(c.forward(x)).amax([2])).ToArray();
        return cat(pooled, 1).MoveToOuterDisposeScope();
    }
}
