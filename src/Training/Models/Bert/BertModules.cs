using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Models.Bert;

// BERT's modules under Hugging Face's names (embeddings.*, encoder.layer.N.attention.self.query, …), so a BERT or
// MiniLM checkpoint loads one to one and an exported model loads into transformers' BertModel.

/// <summary>Word + position + token-type embeddings, LayerNorm, dropout.</summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "word_embeddings")]
    private readonly Embedding _words;
    [ComponentName(Name = "position_embeddings")]
    private readonly Embedding _positions;
    [ComponentName(Name = "token_type_embeddings")]
    private readonly Embedding _tokenTypes;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm _norm;
    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        _words = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        _positions = nn.Embedding(config.MaxPositions, config.HiddenSize);
        _tokenTypes = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        _norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public void ZeroPaddingRow(int padId)
    {
        using var _ = no_grad();
        _words.weight![padId].zero_();
    }

    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var positions = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var types = zeros_like(ids); // one segment: classification of a single text
        var sum = _words.forward(ids).Plus(_positions.forward(positions)).Plus(_tokenTypes.forward(types));
        return _dropout.forward(_norm.forward(sum)).MoveToOuterDisposeScope();
    }
}

/// <summary>Multi-head self-attention (query/key/value) with a padding mask.</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "query")]
    private readonly Linear _query;
    [ComponentName(Name = "key")]
    private readonly Linear _key;
    [ComponentName(Name = "value")]
    private readonly Linear _value;
    private readonly int _heads;
    private readonly double _dropout;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _query = nn.Linear(config.HiddenSize, config.HiddenSize);
        _key = nn.Linear(config.HiddenSize, config.HiddenSize);
        _value = nn.Linear(config.HiddenSize, config.HiddenSize);
        (_heads, _dropout) = (config.Heads, config.Dropout);
        RegisterComponents();
    }

    /// <param name="x">[N, L, H]</param>
    /// <param name="keep">[N, 1, 1, L] booleans: true for real tokens, false for padding.</param>
    public override Tensor forward(Tensor x, Tensor keep)
    {
        using var scope = NewDisposeScope();
        var (n, l, h) = (x.shape[0], x.shape[1], x.shape[2]);
        Tensor Split(Linear projection) => projection.forward(x).view(n, l, _heads, h / _heads).transpose(1, 2);
        // libtorch's fused attention: softmax(QKᵀ/√d + mask)·V, dropout on the weights while training.
        var context = nn.functional.scaled_dot_product_attention(Split(_query), Split(_key), Split(_value), keep,
            training ? _dropout : 0.0);
        return context.transpose(1, 2).reshape(n, l, h).MoveToOuterDisposeScope();
    }
}

/// <summary>A dense projection, dropout, then LayerNorm over the residual: BERT's SelfOutput and Output.</summary>
internal sealed class BertResidual : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm _norm;
    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    public BertResidual(int inputSize, BertConfig config) : base(nameof(BertResidual))
    {
        _dense = nn.Linear(inputSize, config.HiddenSize);
        _norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return _norm.forward(_dropout.forward(_dense.forward(hidden)).Plus(residual)).MoveToOuterDisposeScope();
    }
}

/// <summary>attention.self + attention.output.</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "self")]
    private readonly BertSelfAttention _self;
    [ComponentName(Name = "output")]
    private readonly BertResidual _output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        _self = new BertSelfAttention(config);
        _output = new BertResidual(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor keep)
    {
        using var attended = _self.forward(x, keep);
        return _output.forward(attended, x);
    }
}

/// <summary>One encoder layer: attention, then the GELU feed-forward (intermediate.dense, output.dense).</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "attention")]
    private readonly BertAttention _attention;
    [ComponentName(Name = "intermediate")]
    private readonly BertIntermediate _intermediate;
    [ComponentName(Name = "output")]
    private readonly BertResidual _output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        _attention = new BertAttention(config);
        _intermediate = new BertIntermediate(config);
        _output = new BertResidual(config.IntermediateSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor keep)
    {
        using var scope = NewDisposeScope();
        var attended = _attention.forward(x, keep);
        var expanded = _intermediate.forward(attended);
        return _output.forward(expanded, attended).MoveToOuterDisposeScope();
    }
}

/// <summary>intermediate.dense with exact GELU.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        _dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var projected = _dense.forward(x);
        return nn.functional.gelu(projected);
    }
}
