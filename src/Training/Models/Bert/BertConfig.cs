using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Bert;

/// <summary>
/// The shape of a BERT-style encoder, read and written as a Hugging Face <c>config.json</c>. The defaults are
/// BERT-tiny's (2 layers, 128 wide, 2 heads): what <c>text-bert</c> trains from scratch on a CPU.
/// </summary>
public sealed record BertConfig(
    int VocabSize,
    int HiddenSize = 128,
    int Layers = 2,
    int Heads = 2,
    int IntermediateSize = 512,
    int MaxPositions = 512,
    int TypeVocabSize = 2,
    double LayerNormEps = 1e-12,
    double Dropout = 0.1,
    int PadTokenId = 0)
{
    public int HeadDim => HiddenSize / Heads;

    /// <exception cref="InvalidDataException">Sizes that cannot build an encoder (the message says which).</exception>
    public BertConfig Validated()
    {
        if (VocabSize < 1 || HiddenSize < 1 || Layers < 1 || Heads < 1 || IntermediateSize < 1 || MaxPositions < 2 || TypeVocabSize < 1)
        {
            throw new InvalidDataException($"The BERT config has a size below 1: {this}.");
        }
        if (HiddenSize % Heads != 0)
        {
            throw new InvalidDataException($"hidden_size {HiddenSize} is not a multiple of num_attention_heads {Heads}.");
        }
        if (Dropout is < 0 or >= 1)
        {
            throw new InvalidDataException($"hidden_dropout_prob {Dropout} is outside [0, 1).");
        }
        return this;
    }

    public string ToJson() => new JsonObject
    {
        ["model_type"] = "bert",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["intermediate_size"] = IntermediateSize,
        ["max_position_embeddings"] = MaxPositions,
        ["type_vocab_size"] = TypeVocabSize,
        ["layer_norm_eps"] = LayerNormEps,
        ["hidden_dropout_prob"] = Dropout,
        ["attention_probs_dropout_prob"] = Dropout,
        ["hidden_act"] = "gelu",
        ["pad_token_id"] = PadTokenId,
    }.ToJsonString();

    /// <summary>Reads a Hugging Face BERT/MiniLM <c>config.json</c>; absent keys take BERT's defaults.</summary>
    /// <exception cref="InvalidDataException">Not a BERT config: another activation, or impossible sizes.</exception>
    public static BertConfig FromJson(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"config.json is not JSON: {e.Message}", e);
        }
        if (root is not JsonObject config)
        {
            throw new InvalidDataException("config.json is not a JSON object.");
        }
        var activation = config["hidden_act"]?.GetValue<string>() ?? "gelu";
        if (activation is not "gelu")
        {
            throw new InvalidDataException($"hidden_act '{activation}' is not supported: the encoder uses exact GELU as BERT does.");
        }
        int Int(string key, int fallback) => config[key]?.GetValue<int>() ?? fallback;
        var defaults = new BertConfig(30522, 768, 12, 12, 3072);
        return new BertConfig(
            Int("vocab_size", defaults.VocabSize),
            Int("hidden_size", defaults.HiddenSize),
            Int("num_hidden_layers", defaults.Layers),
            Int("num_attention_heads", defaults.Heads),
            Int("intermediate_size", defaults.IntermediateSize),
            Int("max_position_embeddings", defaults.MaxPositions),
            Int("type_vocab_size", defaults.TypeVocabSize),
            config["layer_norm_eps"]?.GetValue<double>() ?? defaults.LayerNormEps,
            config["hidden_dropout_prob"]?.GetValue<double>() ?? defaults.Dropout,
            Int("pad_token_id", defaults.PadTokenId)).Validated();
    }

    /// <summary>
    /// The sizes a checkpoint's tensors imply (vocabulary, width, depth, positions, feed-forward width). The head
    /// count cannot be seen in shapes: it comes from <paramref name="heads"/> (config.json), else width / 64 as in BERT.
    /// </summary>
    public static BertConfig FromWeights(IReadOnlyDictionary<string, Tensor> weights, int? heads = null)
    {
        Tensor Get(string name) => weights.TryGetValue(name, out var t) ? t
            : throw new InvalidDataException($"Not a BERT checkpoint: no tensor '{name}' (after mapping Hugging Face names).");
        var words = Get("embeddings.word_embeddings.weight");
        var hidden = (int)words.shape[1];
        var layers = weights.Keys.Where(k => k.StartsWith("encoder.layer.", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        if (layers < 1)
        {
            throw new InvalidDataException("Not a BERT checkpoint: no encoder.layer.N tensors.");
        }
        return new BertConfig(
            (int)words.shape[0], hidden, layers, heads ?? Math.Max(1, hidden / 64),
            (int)Get("encoder.layer.0.intermediate.dense.weight").shape[0],
            (int)Get("embeddings.position_embeddings.weight").shape[0],
            (int)Get("embeddings.token_type_embeddings.weight").shape[0]).Validated();
    }
}
