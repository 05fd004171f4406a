using TransferHub.Web.Features.Workers;

namespace TransferHub.Tests.Unit.Web.Workers;

public sealed class EmbeddedWorkerTests
{
    [Theory]
    [InlineData(EmbeddedWorkerMode.Process, true, EmbeddedWorkerMode.Process)]
    [InlineData(EmbeddedWorkerMode.InProcess, true, EmbeddedWorkerMode.InProcess)]
    [InlineData(EmbeddedWorkerMode.Process, false, EmbeddedWorkerMode.Off)] // Workers:InProcess=false from older configurations
    [InlineData(EmbeddedWorkerMode.Off, true, EmbeddedWorkerMode.Off)]
    public void TheModeHonoursTheOlderSwitch(EmbeddedWorkerMode embedded, bool inProcess, EmbeddedWorkerMode expected) =>
        new EmbeddedWorkerOptions { Embedded = embedded, InProcess = inProcess }.Mode.ShouldBe(expected);

    [Theory]
    [InlineData(0, "exited normally")]
    [InlineData(3, "exit code 3")]
    [InlineData(-1, "could not start")]
    [InlineData(139, "killed by signal 11 (SIGSEGV, a native crash)")]
    [InlineData(137, "killed by signal 9 (SIGKILL)")]
    [InlineData(134, "killed by signal 6 (SIGABRT, a native abort)")]
    [InlineData(130, "killed by signal 2")]
    public void AnExitIsDescribedForPeople(int code, string described) => EmbeddedWorkerProcess.Describe(code).ShouldBe(described);

    [Fact]
    public void TheSecretIsAWorkerTokenOfThisProcessOnly()
    {
        var secret = new EmbeddedWorkerSecret();
        secret.Value.ShouldStartWith("thw_");
        secret.Matches(secret.Value).ShouldBeTrue();
        secret.Matches(new EmbeddedWorkerSecret().Value).ShouldBeFalse();
        secret.Matches(secret.Value + "x").ShouldBeFalse();
    }
}
