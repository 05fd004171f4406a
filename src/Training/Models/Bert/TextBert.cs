using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Bert;

/// <summary>
/// A BERT-style encoder classifier over WordPiece ids ([N, L], padding = the config's pad id). Features are the
/// mean of the last layer's states over real tokens (sentence-transformers' pooling, which suits frozen MiniLM
/// features as well as fine-tuning); a checkpoint's pooler and masked-LM head are not used. Blocks bottom to top:
/// the embeddings, then each encoder layer.
/// </summary>
public sealed class TextBert : ClassifierModel
{
    [ComponentName(Name = "embeddings")]
    private readonly BertEmbeddings _embeddings;
    [ComponentName(Name = "encoder")]
    private readonly BertEncoderStack _encoder;
    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;
    [ComponentName(Name = "classifier")]
    private readonly Linear _classifier;

    public TextBert(BertConfig config, int numClasses) : base(nameof(TextBert))
    {
        Config = config.Validated();
        _embeddings = new BertEmbeddings(config);
        _encoder = new BertEncoderStack(nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config))]));
        _dropout = nn.Dropout(config.Dropout);
        _classifier = nn.Linear(config.HiddenSize, numClasses);
        RegisterComponents();
        InitialiseLikeBert();
    }

    public BertConfig Config { get; }

    public override string HeadName => "classifier";

    public override Linear Head => _classifier;

    public override int FeatureDim => Config.HiddenSize;

    public override IReadOnlyList<ModelBlock> Blocks =>
        [new("embeddings", _embeddings), .. _encoder.Layers.Select((layer, i) => new ModelBlock($"layer.{i}", layer))];

    public override Tensor Features(Tensor input)
    {
        if (input.shape[1] > Config.MaxPositions)
        {
            throw new ArgumentException($"{input.shape[1]} tokens exceed the encoder's {Config.MaxPositions} positions.", nameof(input));
        }
        using var scope = NewDisposeScope();
        // Scalars held for the whole forward: an implicit one can be finalized during its native call (see BatchNorm).
        using var pad = Config.PadTokenId.ToScalar();
        using var one = 1.ToScalar();
        // Padding is trailing: drop the columns no row uses, so short texts do not pay for 128-token attention.
        var used = input.ne(pad).any(0).nonzero();
        var length = used.numel() == 0 ? 1 : used.max().item<long>() + 1;
        input = input.narrow(1, 0, length);
        var real = input.ne(pad);
        var keep = real.unsqueeze(1).unsqueeze(1); // [N, 1, 1, L] for the attention
        var x = _embeddings.forward(input);
        foreach (var layer in _encoder.Layers)
        {
            x = layer.forward(x, keep);
        }
        var weights = real.unsqueeze(-1).to(x.dtype);
        return ((x * weights).sum(1) / weights.sum(1).clamp_min(one)).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor input)
    {
        using var features = Features(input);
        using var dropped = _dropout.forward(features);
        return _classifier.forward(dropped);
    }

    // BERT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorms, a zero padding embedding.
    private void InitialiseLikeBert()
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.Contains("LayerNorm", StringComparison.Ordinal))
            {
                continue;
            }
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else
            {
                parameter.normal_(0, 0.02);
            }
        }
        _embeddings.ZeroPaddingRow(Config.PadTokenId);
    }

    /// <summary>The "encoder" level of the names: encoder.layer.N.</summary>
    private sealed class BertEncoderStack : nn.Module
    {
        [ComponentName(Name = "layer")]
        private readonly ModuleList<BertLayer> _layers;

        public BertEncoderStack(ModuleList<BertLayer> layers) : base(nameof(BertEncoderStack))
        {
            _layers = layers;
            RegisterComponents();
        }

        public ModuleList<BertLayer> Layers => _layers;
    }
}
