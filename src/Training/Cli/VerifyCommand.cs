using System.Globalization;
using TorchSharp;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Cli;

// verify: loads weights (e.g. exported from torchvision) and compares our output with a reference output.
internal static class VerifyCommand
{
    public const string Usage = "verify --weights model.safetensors --io reference-io.safetensors (tensors 'input', 'output') [--arch name] [--tolerance 1e-4]";

    public static int Run(CliArguments args)
    {
        var weights = args.Required("weights");
        var io = args.Required("io");
        var tolerance = args.Double("tolerance", 1e-4);
        var metadata = new Dictionary<string, string>();
        var state = ModelWeights.Read(weights, metadata);
        var arch = args.Get("arch") ?? metadata.GetValueOrDefault(ModelWeights.ArchitectureKey)
                   ?? throw new CliException("--arch is required when the file has no architecture metadata.");
        args.EnsureAllUsed();
        TorchRuntime.EnsureLoaded();

        var classes = int.Parse(metadata.GetValueOrDefault(ModelWeights.NumClassesKey) ?? "0", CultureInfo.InvariantCulture);
        using var model = ModelRegistry.Create(arch, classes > 0 ? classes : 1000, metadata);
        var unused = WeightLoader.LoadInto(model, state, includeHead: true);
        var reference = SafeTensors.Read(io);
        model.eval();
        using var _ = no_grad();
        using var output = model.forward(reference["input"]);
        var diff = (output - reference["output"]).abs().max().item<float>();
        Console.WriteLine($"{arch}: {state.Count} tensors loaded ({unused.Count} unused), max |ours - reference| = {diff:E2}");
        return diff <= tolerance && unused.Count == 0 ? 0 : 1;
    }
}
