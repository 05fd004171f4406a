using System.Diagnostics;
using System.Text.Json;
using TransferHub.Web.Features.Workers;

namespace TransferHub.Web.Features.Sample;

/// <summary>A sample source could not be pretrained; the message says how its process ended and what it said.</summary>
public sealed class SampleSourceFailedException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status500InternalServerError;
    public override string Title => "Pretraining failed";
}

/// <summary>
/// Pretrains one of the sample project's sources in a child process (<c>TransferHub.Training sample-source</c>): it is real
/// training on libtorch, and a native crash in it must cost the sample, never the portal. Cancelling kills the child.
/// </summary>
public sealed partial class SampleSourceProcess(ILogger<SampleSourceProcess> logger)
{
    /// <summary>Trains the source (by shape, or by colour) into <paramref name="folder"/>; returns its weights file.</summary>
    /// <param name="epochs">Told (epoch, of how many) as each epoch ends, in order; never after <paramref name="ct"/> is cancelled.</param>
    /// <exception cref="SampleSourceFailedException">The child ended without a weights file.</exception>
    public async Task<string> PretrainAsync(bool byShape, string folder, Action<int, int>? epochs, CancellationToken ct)
    {
        using var child = new Process { StartInfo = TrainingProgram.StartInfo(["sample-source", "--by", byShape ? "shape" : "colour", "--out", folder]) };
        string? path = null;
        var errors = new Queue<string>();
        child.OutputDataReceived += (_, e) =>
        {
            // Once cancelled, no more progress: the child may print epochs it finished before the kill reached it.
            if (e.Data is not { Length: > 0 } line || !line.StartsWith('{') || ct.IsCancellationRequested) return;
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.TryGetProperty("path", out var p)) path = p.GetString();
            else epochs?.Invoke(json.RootElement.GetProperty("epoch").GetInt32(), json.RootElement.GetProperty("epochs").GetInt32());
        };
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 0 } line) return;
            LogChildError(logger, line);
            if (line.StartsWith("   at ", StringComparison.Ordinal)) return; // a stack trace: the message above it says more
            lock (errors)
            {
                errors.Enqueue(line);
                if (errors.Count > 3) errors.Dequeue();
            }
        };
        child.Start();
        LogStarted(logger, child.Id, byShape ? "shape" : "colour");
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            await child.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(CancellationToken.None);
            throw;
        }
        if (child.ExitCode != 0 || path is null || !File.Exists(path))
        {
            string said;
            lock (errors) said = string.Join(" / ", errors);
            throw new SampleSourceFailedException(
                $"Pretraining the sample's {(byShape ? "shape" : "colour")} source failed ({EmbeddedWorkerProcess.Describe(child.ExitCode)}){(said.Length > 0 ? ": " + said : ".")}");
        }
        return path;
    }

    [LoggerMessage(LogLevel.Information, "Sample source ({Task}) pretraining in process {ProcessId}")]
    private static partial void LogStarted(ILogger logger, int processId, string task);

    [LoggerMessage(LogLevel.Warning, "sample-source: {Line}")]
    private static partial void LogChildError(ILogger logger, string line);
}
