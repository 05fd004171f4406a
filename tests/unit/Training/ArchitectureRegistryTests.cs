using TransferHub.Training.Data;
using TransferHub.Shared.Training;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ArchitectureRegistryTests
{
    [Theory]
    [InlineData("resnet18", 10, 11_181_642)]
    [InlineData("resnet18", 1000, 11_689_512)]
    [InlineData("resnet34", 1000, 21_797_672)]
    [InlineData("resnet50", 1000, 25_557_032)]
    [InlineData("mobilenet-v2", 1000, 3_504_872)]
    [InlineData("efficientnet-b0", 1000, 5_288_548)]
    [InlineData("efficientnet-b0", 10, 4_020_358)]
    public void ParameterCountsMatchTorchvision(string name, int classes, long expected)
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create(name, classes);

        model.parameters().Sum(p => p.numel()).ShouldBe(expected);
    }

    [Fact]
    public void ResNetUsesTorchvisionStateDictNames()
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create("resnet18", 10);

        var names = model.state_dict().Keys.ToHashSet();

        names.Count.ShouldBe(122); // len(torchvision.models.resnet18().state_dict())
        names.ShouldContain("conv1.weight");
        names.ShouldContain("bn1.running_var");
        names.ShouldContain("layer1.0.conv1.weight");
        names.ShouldContain("layer2.0.downsample.0.weight");
        names.ShouldContain("layer4.1.bn2.num_batches_tracked");
        names.ShouldContain("fc.bias");
        model.Blocks.Select(b => b.Name).ShouldBe(["stem", "layer1", "layer2", "layer3", "layer4"]);
        model.Blocks.Sum(b => b.Parameters().Sum(p => p.numel())).ShouldBe(11_181_642 - (512 * 10 + 10));
    }

    [Fact]
    public void MobileNetV2UsesTorchvisionNamesAndRuns()
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create("mobilenet-v2", 5);
        using var draws = new TorchSharp.torch.Generator(2);
        using var input = TorchSharp.torch.randn([2, 3, 32, 32], generator: draws);

        var names = model.state_dict().Keys.ToHashSet();
        using var output = model.forward(input);

        names.Count.ShouldBe(314); // len(torchvision.models.mobilenet_v2().state_dict())
        names.ShouldContain("features.0.0.weight");
        names.ShouldContain("features.1.conv.0.0.weight");
        names.ShouldContain("features.2.conv.1.1.running_mean");
        names.ShouldContain("features.18.1.bias");
        names.ShouldContain("classifier.1.weight");
        output.shape.ShouldBe([2L, 5]);
        model.Blocks.Count.ShouldBe(9);
        model.Blocks.Sum(b => b.Parameters().Sum(p => p.numel())).ShouldBe(model.BackboneParameters().Sum(p => p.numel()));
    }

    [Fact]
    public void EfficientNetB0UsesTorchvisionNamesRunsAndDropsBranchesOnlyInTraining()
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create("efficientnet-b0", 4);
        using var draws = new TorchSharp.torch.Generator(3);
        using var input = TorchSharp.torch.randn([4, 3, 32, 32], generator: draws);

        var names = model.state_dict().Keys.ToHashSet();
        model.eval();
        using var first = model.forward(input);
        using var again = model.forward(input);
        model.train();
        using var trained = GlobalRandom.Create(5, () => model.Features(input));
        using var trainedAgain = GlobalRandom.Create(6, () => model.Features(input));

        names.Count.ShouldBe(360); // len(torchvision.models.efficientnet_b0().state_dict())
        names.ShouldContain("features.0.0.weight");
        names.ShouldContain("features.1.0.block.0.0.weight"); // expand ratio 1: no expansion conv, the depthwise one first
        names.ShouldContain("features.1.0.block.1.fc1.weight");
        names.ShouldContain("features.2.0.block.3.1.running_var");
        names.ShouldContain("features.6.3.block.2.fc2.bias");
        names.ShouldContain("features.8.1.num_batches_tracked");
        names.ShouldContain("classifier.1.weight");
        first.shape.ShouldBe([4L, 4]);
        TorchSharp.torch.allclose(first, again, rtol: 0, atol: 0).ShouldBeTrue(); // eval: deterministic, no stochastic depth
        // Training drops residual branches at random (different draws, different features); both still finite.
        TorchSharp.torch.allclose(trained, trainedAgain).ShouldBeFalse();
        trained.isfinite().all().item<bool>().ShouldBeTrue();
        model.Blocks.Select(b => b.Name).ShouldBe(["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "last"]);
        model.Blocks.Sum(b => b.Parameters().Sum(p => p.numel())).ShouldBe(model.BackboneParameters().Sum(p => p.numel()));
    }

    // oneDNN's strided 1×1 backward killed the process with SIGFPE for ResNet-50 on this CPU: the trainer turns it off for
    // bottleneck ResNets. Without that this test does not fail, it takes the test host down.
    [Fact]
    public void ResNet50TrainsOnTheCpu()
    {
        var spec = new TrainingJobSpec("resnet50", TrainingStrategy.Baseline, Epochs: 2, BatchSize: 8, Patience: 0, Device: "cpu");
        using var data = new DataSplits(SyntheticShapes.Generate(16, 1, SyntheticLabel.Shape, size: 64),
            SyntheticShapes.Generate(8, 2, SyntheticLabel.Shape, size: 64), SyntheticShapes.Generate(8, 3, SyntheticLabel.Shape, size: 64));

        var result = TrainingHarness.Run(spec, data);

        result.Epochs.Count.ShouldBe(2);
        result.Epochs.ShouldAllBe(e => double.IsFinite(e.TrainLoss));
    }

    [Fact]
    public void UnknownArchitectureNamesTheKnownOnes()
    {
        var error = Should.Throw<ArgumentException>(() => ModelRegistry.Create("vgg19", 10));

        error.Message.ShouldContain("resnet18");
    }
}
