using TransferHub.Registry.Features.Artifacts;

namespace TransferHub.Tests.Unit.Registry;

public sealed class ArtifactKeyTests
{
    [Theory]
    [InlineData("models/7/model.safetensors")]
    [InlineData("a")]
    [InlineData("runs/x.y/checkpoint-0003.dat")]
    public void SafeKeysPass(string key) => ArtifactKey.Validate(key).ShouldBe(key);

    [Theory]
    [InlineData("..")]
    [InlineData("a/./b")]
    [InlineData("a/")]
    [InlineData("a\u0000b")]
    public void UnsafeKeysFail(string key) => Should.Throw<ArgumentException>(() => ArtifactKey.Validate(key));

    [Fact]
    public void OverlongKeyFails() => Should.Throw<ArgumentException>(() => ArtifactKey.Validate(new string('a', 513)));
}
