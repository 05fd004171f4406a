using TransferHub.Training.Cli;
using TransferHub.Training.Runtime;

namespace TransferHub.Training;

// An explicit, namespaced entry point: a top-level `Program` would clash with Web's in the test assembly.
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        // SIGTERM (docker stop, Kubernetes) stops as Ctrl+C does: a worker leaves its run to the lease and checkpoint.
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
        try
        {
            var options = new CliArguments(args.Skip(1));
            return args.FirstOrDefault() switch
            {
                "train" => TrainCommand.Run(options, cancel.Token),
                "score" => ScoreCommand.Run(options),
                "bench" => BenchCommand.Run(options, cancel.Token),
                "verify" => VerifyCommand.Run(options),
                "import-hf" => ImportHfCommand.Run(options),
                "worker" => WorkerCommand.Run(options, cancel.Token),
                "sample-source" => SampleSourceCommand.Run(options, cancel.Token),
                _ => Usage(),
            };
        }
        catch (Exception ex) when (ex is CliException or TorchUnavailableException or Weights.WeightMismatchException
                                       or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                       or FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("TransferHub.Training <command> [options]\n");
        Console.Error.WriteLine("  " + TrainCommand.Usage + "\n");
        Console.Error.WriteLine("  " + ScoreCommand.Usage + "\n");
        Console.Error.WriteLine("  " + BenchCommand.Usage + "\n");
        Console.Error.WriteLine("  " + VerifyCommand.Usage + "\n");
        Console.Error.WriteLine("  " + ImportHfCommand.Usage + "\n");
        Console.Error.WriteLine("  " + WorkerCommand.Usage + "\n");
        Console.Error.WriteLine("  " + SampleSourceCommand.Usage);
        return 2;
    }
}
