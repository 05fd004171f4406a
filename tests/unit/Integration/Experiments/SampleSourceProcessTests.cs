using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Web.Features.Sample;

namespace TransferHub.Tests.Unit.Integration.Experiments;

/// <summary>The sample's sources train in a child process: what its failure and its cancellation leave behind.</summary>
[Trait("Category", "Slow")]
public sealed class SampleSourceProcessTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"th-sample-{Guid.NewGuid():N}");
    private readonly SampleSourceProcess sources = new(NullLogger<SampleSourceProcess>.Instance);

    [Fact]
    public async Task ACancelledPretrainingKillsItsProcessAndLeavesNoneBehind()
    {
        using var cancel = new CancellationTokenSource();
        var epochs = new List<(int, int)>();

        await Should.ThrowAsync<OperationCanceledException>(() => sources.PretrainAsync(byShape: false, folder, (epoch, of) =>
        {
            epochs.Add((epoch, of));
            cancel.Cancel(); // the child is training: its first epoch has ended
        }, cancel.Token));

        epochs.ShouldBe([(1, 3)]); // the colour source trains three epochs; cancelled after the first
        ProcessesMentioning(folder).ShouldBeEmpty();
    }

    [Fact]
    public async Task AChildThatFailsIsReportedWithWhatItSaid()
    {
        File.WriteAllText(folder, "a file where the folder should be");

        var failure = await Should.ThrowAsync<SampleSourceFailedException>(() => sources.PretrainAsync(byShape: true, folder, null, CancellationToken.None));

        failure.Message.ShouldStartWith("Pretraining the sample's shape source failed (exit code 2): ");
        failure.Message.ShouldContain("error: Could not find a part of the path"); // the child's own words, not only its exit code
        ProcessesMentioning(folder).ShouldBeEmpty();
    }

    // Linux: every process's command line, as /proc shows it.
    private static List<int> ProcessesMentioning(string text) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(text, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false; // it exited meanwhile
                }
                catch (UnauthorizedAccessException)
                {
                    return false;
                }
            }).ToList();

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        else File.Delete(folder);
    }
}
