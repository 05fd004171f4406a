using TorchSharp;
using TorchSharp.Modules;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class AdamWOptimizerTests
{
    [Fact]
    public void UpdatesLikeTorchAdamWWithParameterGroups()
    {
        TorchRuntime.EnsureLoaded();
        using var ours = Model(1);
        using var theirs = Model(1);
        using var optimizer = new AdamWOptimizer([(Layer(ours, 0), 0.01), (Layer(ours, 2), 0.03)], weightDecay: 0.05);
        using var reference = optim.AdamW(
            [new AdamW.ParamGroup(Layer(theirs, 0), lr: 0.01, weight_decay: 0.05), new AdamW.ParamGroup(Layer(theirs, 2), lr: 0.03, weight_decay: 0.05)],
            lr: 0.01, weight_decay: 0.05);

        for (var i = 0; i < 40; i++)
        {
            Step(ours, optimizer, i);
            using var scope = NewDisposeScope();
            reference.zero_grad();
            Loss(theirs, i).backward();
            reference.step();
        }

        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
        {
            using var diff = (a - b).abs().max();
            diff.item<float>().ShouldBeLessThan(1e-5f);
        }
        using var moved = (ours.parameters().First() - Model(1).parameters().First()).abs().max();
        moved.item<float>().ShouldBeGreaterThan(0.01f); // the comparison is not between two untouched models
    }

    [Fact]
    public void SavedStateResumesExactly()
    {
        TorchRuntime.EnsureLoaded();
        using var straight = Model(2);
        using var resumed = Model(2);
        using var straightOptimizer = new AdamWOptimizer([(straight.parameters(), 0.02)], weightDecay: 0.01);
        using (var first = new AdamWOptimizer([(resumed.parameters(), 0.02)], weightDecay: 0.01))
        {
            for (var i = 0; i < 10; i++)
            {
                Step(straight, straightOptimizer, i);
                Step(resumed, first, i);
            }
            first.Save(StatePath);
        }

        using var second = new AdamWOptimizer([(resumed.parameters(), 0.02)], weightDecay: 0.01);
        second.Load(StatePath);
        for (var i = 10; i < 20; i++)
        {
            Step(straight, straightOptimizer, i);
            Step(resumed, second, i);
        }

        foreach (var (a, b) in straight.parameters().Zip(resumed.parameters()))
            a.data<float>().ToArray().ShouldBe(b.data<float>().ToArray());
    }

    [Fact]
    public void RefusesAStateOfAnotherFormatOrShape()
    {
        TorchRuntime.EnsureLoaded();
        using var small = Model(3);
        File.WriteAllBytes(StatePath, [1, 2, 3, 4, 5, 6, 7, 8]);
        using var optimizer = new AdamWOptimizer([(small.parameters(), 0.01)], weightDecay: 0);
        Should.Throw<InvalidDataException>(() => optimizer.Load(StatePath));

        using var other = GlobalRandom.Draw(() => nn.Sequential(nn.Linear(4, 2)));
        using (var wrong = new AdamWOptimizer([(other.parameters(), 0.01)], weightDecay: 0)) wrong.Save(StatePath);
        Should.Throw<InvalidDataException>(() => optimizer.Load(StatePath)).Message.ShouldContain("values for a parameter");
    }

    // The CI failure: TorchSharp's AdamW lost a temporary Scalar to the finalizer thread mid-call. With finalizers
    // running constantly beside it, ours must take 1 500 steps without a native error (TorchSharp's failed within a few hundred).
    [Fact]
    public async Task StepsSurviveAConstantlyRunningFinalizer()
    {
        TorchRuntime.EnsureLoaded();
        using var model = Model(4);
        using var optimizer = new AdamWOptimizer([(model.parameters(), 0.01)], weightDecay: 0.01);
        using var stop = new CancellationTokenSource();
        var pressure = FinalizerPressure.Start(stop.Token);
        try
        {
            for (var i = 0; i < 1500; i++) Step(model, optimizer, i);
        }
        finally
        {
            await stop.CancelAsync();
        }
        (await pressure).ShouldBeGreaterThan(10); // the finalizer really ran during the steps
        foreach (var p in model.parameters()) p.isfinite().all().item<bool>().ShouldBeTrue();
    }

    private string StatePath { get; } = Path.Combine(Path.GetTempPath(), $"adamw-{Guid.NewGuid():N}.bin");

    private static Sequential Model(int seed)
    {
        return GlobalRandom.Create(seed, () => nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)));
    }

    private static IEnumerable<Parameter> Layer(Sequential model, int index) =>
        model.named_parameters().Where(p => p.name.StartsWith($"{index}.")).Select(p => p.parameter).ToList();

    private static Tensor Loss(Sequential model, int step)
    {
        var generator = new Generator((ulong)step);
        var x = randn([32, 8], generator: generator);
        // Held, both: an implicit Scalar can be finalized mid-call — `+` passes one as add's alpha, and CI once saw it
        // freed and its memory reused by a float Scalar ("alpha must not be a floating point number").
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        var y = x[.., 0].gt(zero).to(ScalarType.Int64).add(x[.., 1].gt(zero).to(ScalarType.Int64), one);
        return nn.functional.cross_entropy(model.forward(x), y);
    }

    private static void Step(Sequential model, AdamWOptimizer optimizer, int step)
    {
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        Loss(model, step).backward();
        optimizer.Step();
    }
}
