using System.Reflection;
using System.Xml.Linq;
using NetArchTest.Rules;
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

    private static readonly Assembly Web = typeof(TransferHub.Web.Hosting.PlatformSetup).Assembly;

    // The web reaches the engine's code through ITrainingEngine (Shared) only; hosting the worker and wiring the
    // engine in are the two places allowed to name its types.
    [Fact]
    public void OnlyWorkerHostingAndTheCompositionRootUseTheEngine() => Failures(Types.InAssembly(Web)
        .That().DoNotResideInNamespace("TransferHub.Web.Features.Workers")
        .And().DoNotResideInNamespace("TransferHub.Web.Hosting")
        .Should().NotHaveDependencyOn("TransferHub.Training").GetResult()).ShouldBeEmpty();

    [Fact]
    public void PagesNeverUseTheEngine() => Failures(Types.InAssembly(Web)
        .That().ResideInNamespace("TransferHub.Web.Components")
        .Should().NotHaveDependencyOn("TransferHub.Training").GetResult()).ShouldBeEmpty();

    [Fact]
    public void RegistryNeverUsesWebOrTraining() => Failures(Types.InAssembly(typeof(TransferHub.Registry.Features.Artifacts.IArtifactStore).Assembly)
        .Should().NotHaveDependencyOnAny("TransferHub.Web", "TransferHub.Training").GetResult()).ShouldBeEmpty();

    [Fact]
    public void TheRegistrysEntitiesAndTheirConfigurationsLiveInItsModule()
    {
        var registry = typeof(TransferHub.Registry.Features.Artifacts.IArtifactStore).Assembly;
        Types.InAssembly(Web).That().ImplementInterface(typeof(Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<>))
            .And().ResideInNamespace("TransferHub.Web.Features.Registry").GetTypes().ShouldBeEmpty();
        foreach (var entity in new[] { "RegisteredModel", "ModelVersion", "ReferenceProfile", "ApprovalRequest", "AuditEntry", "PredictionLog", "DriftRun" })
        {
            registry.GetType($"TransferHub.Registry.Features.Models.{entity}").ShouldNotBeNull(entity);
        }
        // Services moved so far, one at a time: they reach the database through IRegistryDatabase, never the host's context.
        foreach (var service in new[] { "Audit.AuditLog", "Access.ModelAccess", "Models.RegistrySets", "Models.SafeTensorsMetadata", "Drift.InputStats",
            "Access.RegistryRules", "Models.RegistryOptions", "Drift.DriftService", "Drift.DriftMonitor", "Drift.ReferenceData", "Events.IRegistryEvents",
            "Serving.ModelCache", "Serving.ServingService", "Serving.OnnxBackfill", "Serving.ModelExampleService", "Drift.ReferenceProfiler", "Registration.RegistryService", "Stages.StageService", "Stages.PolicyChecks", "Models.VersionViews" })
        {
            registry.GetType($"TransferHub.Registry.Features.{service}").ShouldNotBeNull(service);
            Web.GetTypes().ShouldNotContain(t => t.Name == service.Split('.')[1], service);
        }
        // A logged text is a dataset text: the registry's column is as long as the datasets' limit.
        TransferHub.Registry.Features.Models.ModelLimits.MaxRawTextLength.ShouldBe(TransferHub.Web.Features.Datasets.DatasetRules.MaxTextLength);
    }

    [Fact]
    public void TrainingNeverUsesWebOrRegistry() => Failures(Types.InAssembly(typeof(TransferHub.Training.Engine.TrainingEngine).Assembly)
        .Should().NotHaveDependencyOnAny("TransferHub.Web", "TransferHub.Registry").GetResult()).ShouldBeEmpty();

    [Fact]
    public void SharedReferencesNothingOfOurs() => Failures(Types.InAssembly(typeof(TransferHub.Shared.Training.ITrainingEngine).Assembly)
        .Should().NotHaveDependencyOnAny("TransferHub.Web", "TransferHub.Training", "TransferHub.Registry").GetResult()).ShouldBeEmpty();

    private static IEnumerable<string> Failures(TestResult result) => result.FailingTypeNames ?? [];
}
