using System.Globalization;
using TransferHub.Training.Data;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Bert;

/// <summary>
/// What a text-bert model needs besides its tensors: the encoder's shape and the WordPiece vocabulary. Both are
/// kept in the safetensors metadata of every text-bert file we write, so the file alone rebuilds the model and its
/// tokenizer (for transfer, serving and scoring).
/// </summary>
public sealed record BertRecipe(BertConfig Config, WordPieceText Tokenizer)
{
    public const string Architecture = "text-bert";
    public const string ConfigKey = "bert_config";
    public const string VocabularyKey = "vocab";
    public const string LowerCaseKey = "lower_case";

    /// <summary>Size of the vocabulary built for an encoder trained from scratch.</summary>
    public const int ScratchVocabularySize = 8192;

    public static bool Applies(string architecture) => architecture.Equals(Architecture, StringComparison.OrdinalIgnoreCase);

    public Dictionary<string, string> ToMetadata() => new()
    {
        [ConfigKey] = Config.ToJson(),
        [VocabularyKey] = Tokenizer.Vocabulary,
        [LowerCaseKey] = Tokenizer.LowerCase ? "true" : "false",
    };

    /// <summary>The recipe in a file's metadata, or null when the file carries none (not written by us).</summary>
    public static BertRecipe? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ConfigKey, out var config) || !metadata.TryGetValue(VocabularyKey, out var vocabulary))
        {
            return null;
        }
        var lowerCase = !metadata.TryGetValue(LowerCaseKey, out var lower) || lower != "false";
        return Checked(BertConfig.FromJson(config), WordPieceText.FromVocabulary(vocabulary, lowerCase));
    }

    /// <summary>BERT-tiny's shape over a vocabulary built from the training texts.</summary>
    public static BertRecipe FromScratch(IEnumerable<string> trainingTexts, int maxPositions = 512)
    {
        var tokenizer = WordPieceText.FromVocabulary(WordPieceText.BuildVocabulary(trainingTexts, ScratchVocabularySize));
        return new BertRecipe(new BertConfig(tokenizer.VocabularySize, MaxPositions: maxPositions, PadTokenId: tokenizer.PadId), tokenizer);
    }

    /// <summary>
    /// A Hugging Face BERT or MiniLM folder: <c>model.safetensors</c> (names with or without the <c>bert.</c>
    /// prefix), <c>vocab.txt</c>, and <c>config.json</c> (for the head count; width / 64 without it) and
    /// <c>tokenizer_config.json</c> (for do_lower_case) when present.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing file, or a config that contradicts the tensors.</exception>
    public static BertRecipe FromHuggingFace(string folder, IReadOnlyDictionary<string, Tensor> weights)
    {
        var vocabularyFile = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocabularyFile))
        {
            throw new InvalidDataException("A BERT checkpoint needs its vocab.txt beside model.safetensors.");
        }
        var configFile = Path.Combine(folder, "config.json");
        var declared = File.Exists(configFile) ? BertConfig.FromJson(File.ReadAllText(configFile)) : null;
        var config = BertConfig.FromWeights(weights, declared?.Heads);
        if (declared is not null)
        {
            config = config with { LayerNormEps = declared.LayerNormEps, Dropout = declared.Dropout, PadTokenId = declared.PadTokenId };
            (string Name, int Declared, int Actual)[] sizes =
            [
                ("vocab_size", declared.VocabSize, config.VocabSize),
                ("hidden_size", declared.HiddenSize, config.HiddenSize),
                ("num_hidden_layers", declared.Layers, config.Layers),
                ("intermediate_size", declared.IntermediateSize, config.IntermediateSize),
            ];
            var contradictions = sizes.Where(c => c.Declared != c.Actual)
                .Select(c => $"{c.Name} {c.Declared} in config.json, {c.Actual} in the tensors").ToList();
            if (contradictions.Count > 0)
            {
                throw new InvalidDataException($"config.json does not describe model.safetensors: {string.Join("; ", contradictions)}.");
            }
        }
        var tokenizerConfig = Path.Combine(folder, "tokenizer_config.json");
        var lowerCase = !File.Exists(tokenizerConfig)
            || System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(tokenizerConfig))?["do_lower_case"]?.GetValue<bool>() != false;
        return Checked(config, WordPieceText.FromVocabulary(File.ReadAllText(vocabularyFile), lowerCase));
    }

    /// <summary>The recipe a text run uses: its source's, else one built from the training file.</summary>
    /// <exception cref="InvalidDataException">A source without a recipe (a raw Hugging Face file: import it first).</exception>
    public static BertRecipe ForRun(string? sourceWeights, string trainJsonl)
    {
        if (sourceWeights is null)
        {
            return FromScratch(JsonlText.Texts(trainJsonl));
        }
        return FromMetadata(SafeTensors.ReadMetadata(sourceWeights)) ?? throw new InvalidDataException(
            $"{Path.GetFileName(sourceWeights)} carries no BERT vocabulary or config: import the Hugging Face folder first " +
            "(CLI `import-hf`, or POST /api/weights with the folder as a .zip).");
    }

    private static BertRecipe Checked(BertConfig config, WordPieceText tokenizer)
    {
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new InvalidDataException(
                $"vocab.txt has {tokenizer.VocabularySize.ToString(CultureInfo.InvariantCulture)} tokens but the encoder embeds {config.VocabSize.ToString(CultureInfo.InvariantCulture)}.");
        }
        if (tokenizer.PadId != config.PadTokenId)
        {
            config = config with { PadTokenId = tokenizer.PadId };
        }
        return new BertRecipe(config, tokenizer);
    }
}
