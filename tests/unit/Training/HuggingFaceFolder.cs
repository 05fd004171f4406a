using System.IO.Compression;
using TransferHub.Training.Data;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Runtime;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

/// <summary>
/// A BertForSequenceClassification-style folder written from one of our encoders: <c>bert.*</c> names, TF-era
/// gamma/beta in the embeddings' LayerNorm, a pooler we do not use, vocab.txt and config.json.
/// </summary>
internal static class HuggingFaceFolder
{
    /// <param name="words">Vocabulary after BERT's special tokens; filled up to the config's size with w0, w1, ….</param>
    /// <returns>The encoder whose tensors were written (eval mode), for comparing outputs.</returns>
    public static TextBert Write(string folder, BertConfig config, int classes, IReadOnlyList<string>? words = null, int seed = 11)
    {
        Directory.CreateDirectory(folder);
        var model = GlobalRandom.Create(seed, () => new TextBert(config, classes));
        model.eval();
        var tensors = model.state_dict().ToDictionary(
            kv => kv.Key.StartsWith("classifier.", StringComparison.Ordinal) ? kv.Key
                : "bert." + kv.Key.Replace("embeddings.LayerNorm.weight", "embeddings.LayerNorm.gamma").Replace("embeddings.LayerNorm.bias", "embeddings.LayerNorm.beta"),
            kv => kv.Value);
        using var draws = new Generator((ulong)seed);
        using var pooler = randn([config.HiddenSize, config.HiddenSize], generator: draws);
        tensors["bert.pooler.dense.weight"] = pooler;
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var vocabulary = WordPieceText.SpecialTokens.Concat(words ?? []).ToList();
        vocabulary.AddRange(Enumerable.Range(0, config.VocabSize - vocabulary.Count).Select(i => $"w{i}"));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocabulary);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        return model;
    }

    /// <summary>The folder's files zipped under <paramref name="subfolder"/>/, as people zip a downloaded model.</summary>
    public static byte[] Zip(string folder, string subfolder)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.GetFiles(folder))
            {
                archive.CreateEntryFromFile(file, $"{subfolder}/{Path.GetFileName(file)}");
            }
        }
        return buffer.ToArray();
    }
}
