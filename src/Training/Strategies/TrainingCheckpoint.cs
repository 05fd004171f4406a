using System.Text.Json;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Strategies;

// Resume state written after every epoch: latest.json names a folder epoch-N/ holding the current
// weights, the best weights so far and the optimizer state. The pointer is replaced atomically after the folder is
// complete, so a crash mid-write leaves the previous checkpoint intact.
public sealed record TrainingCheckpoint(int Epoch, int BestEpoch, double BestScore, IReadOnlyList<EpochMetrics> History)
{
    private const string Pointer = "latest.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string CurrentFile(string folder) => Path.Combine(folder, "current.safetensors");

    public static string BestFile(string folder) => Path.Combine(folder, "best.safetensors");

    public static string OptimizerFile(string folder) => Path.Combine(folder, "optimizer.bin");

    // The folder of the last complete checkpoint, or null when there is none.
    public static (TrainingCheckpoint Checkpoint, string Folder)? TryLoad(string directory)
    {
        var pointer = Path.Combine(directory, Pointer);
        if (!File.Exists(pointer)) return null;
        var checkpoint = JsonSerializer.Deserialize<TrainingCheckpoint>(File.ReadAllText(pointer), Json)
                         ?? throw new InvalidDataException($"{pointer} is empty.");
        return (checkpoint, Path.Combine(directory, $"epoch-{checkpoint.Epoch}"));
    }

    // Creates the epoch folder; writeFiles fills it; then the pointer moves to it.
    public void Save(string directory, Action<string> writeFiles)
    {
        var folder = Path.Combine(directory, $"epoch-{Epoch}");
        Directory.CreateDirectory(folder);
        writeFiles(folder);
        var temp = Path.Combine(directory, Pointer + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, Path.Combine(directory, Pointer), overwrite: true);
        foreach (var old in Directory.GetDirectories(directory, "epoch-*").Where(d => Path.GetFileName(d) != $"epoch-{Epoch}"))
            Directory.Delete(old, recursive: true);
    }
}
