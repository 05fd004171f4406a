using System.Text.Json;
using Microsoft.Extensions.Logging;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;

namespace TransferHub.Training.Cli;

// sample-source: pretrains one of the sample project's two sources. The web runs it as a child process, so training
// never shares a process with the portal; it reads one JSON line per epoch and the weights file from the last line.
internal static class SampleSourceCommand
{
    public const string Usage =
        "sample-source --by shape|colour --out <folder>   (prints {\"epoch\":n,\"epochs\":N} per epoch, then {\"path\":…})";

    public static int Run(CliArguments args, CancellationToken ct)
    {
        var byShape = args.Required("by") switch
        {
            "shape" => true,
            "colour" => false,
            var other => throw new CliException($"--by must be shape or colour, not '{other}'."),
        };
        var folder = args.Required("out");
        args.EnsureAllUsed();

        // Logs on stderr: stdout carries only the JSON lines the web reads.
        using var logging = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        var epochs = SampleAssets.SourceEpochs(byShape);
        var progress = new SynchronousProgress<EpochMetrics>(e => Console.WriteLine(JsonSerializer.Serialize(new { epoch = e.Epoch, epochs }, CliJson.Options)));
        var path = SampleAssets.PretrainSource(byShape, folder, logging.CreateLogger<Trainer>(), progress, ct);
        Console.WriteLine(JsonSerializer.Serialize(new { path }, CliJson.Options));
        return 0;
    }
}
