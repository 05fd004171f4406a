using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// Text baseline: mean of hashed-token embeddings (padding id 0 ignored), linear head.
public sealed class TextBagOfEmbeddings : ClassifierModel
{
    private readonly Embedding embedding;
    private readonly Linear head;

    public TextBagOfEmbeddings(int numClasses, int buckets = Data.JsonlText.DefaultBuckets, int dim = 64) : base(nameof(TextBagOfEmbeddings))
    {
        embedding = nn.Embedding(buckets, dim, padding_idx: 0);
        head = nn.Linear(dim, numClasses);
        FeatureDim = dim;
        RegisterComponents();
    }

    public override string HeadName => "head";

    public override Linear Head => head;

    public override int FeatureDim { get; }

    public override IReadOnlyList<ModelBlock> Blocks => [new("embedding", embedding)];

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var zero = 0.ToScalar(); // held: an implicit Scalar can be finalized during its native call (see BatchNorm)
        using var one = 1.ToScalar();
        var mask = input.ne(zero).unsqueeze(-1).to(ScalarType.Float32);
        var summed = (embedding.forward(input) * mask).sum([1]);
        return (summed / mask.sum([1]).clamp_min(one)).MoveToOuterDisposeScope();
    }
}
