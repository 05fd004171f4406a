using System.Xml.Linq;
using TransferHub.Tests.Unit.Registry;

namespace TransferHub.Tests.Unit;

/// <summary>The dependency rules of ARCHITECTURE.md: Shared is the leaf, Training and Registry never meet, Web composes.</summary>
public sealed class ArchitectureTests
{
    [Theory]
    [InlineData("src/Shared/TransferHub.Shared.csproj", new string[0])]
    [InlineData("src/Training/TransferHub.Training.csproj", new[] { "TransferHub.Shared" })]
    [InlineData("src/Registry/TransferHub.Registry.csproj", new[] { "TransferHub.Shared" })]
    [InlineData("src/Web/TransferHub.Web.csproj", new[] { "TransferHub.Registry", "TransferHub.Shared", "TransferHub.Training" })]
    public void ProjectReferencesFollowTheArchitecture(string project, string[] allowed)
    {
        var xml = XDocument.Load(Path.Combine(RepoPaths.Root, project));

        var references = xml.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .Order();

        references.ShouldBe(allowed.Order());
    }

    [Fact]
    public void SharedReferencesNoFrameworkOrPackage()
    {
        var xml = XDocument.Load(Path.Combine(RepoPaths.Root, "src/Shared/TransferHub.Shared.csproj"));

        xml.Descendants("PackageReference").ShouldBeEmpty();
        xml.Descendants("FrameworkReference").ShouldBeEmpty();
    }

    [Fact]
    public void NoProjectPinsAPackageVersionOutsideCentralManagement()
    {
        var offenders = Directory.EnumerateFiles(RepoPaths.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !p.Contains("node_modules"))
            .Where(p => XDocument.Load(p).Descendants("PackageReference").Any(r => r.Attribute("Version") is not null));

        offenders.ShouldBeEmpty();
    }
}
