using TorchSharp;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void NativeBackendLoadsAndComputes()
    {
        TorchRuntime.EnsureLoaded();

        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var product = a.matmul(a);

        product.data<float>().ToArray().ShouldBe(new float[] { 7, 10, 15, 22 });
        TorchRuntime.ResolveDevice("cpu").type.ShouldBe(DeviceType.CPU);
    }

    [Theory]
    [InlineData(DeviceType.CUDA, 0, 16, 4)]  // beside a GPU, a full spinning pool slowed epochs: capped
    [InlineData(DeviceType.CUDA, 0, 2, 2)]   // never raised
    [InlineData(DeviceType.CUDA, 12, 16, 12)] // asked for: as asked
    [InlineData(DeviceType.CPU, 0, 16, 16)]  // CPU training keeps every core
    [InlineData(DeviceType.CPU, 1, 16, 1)]
    public void CpuThreadsAreCappedBesideAGpuUnlessAskedFor(DeviceType device, int requested, int current, int expected) =>
        TorchRuntime.CpuThreadsFor(device, requested, current).ShouldBe(expected);

    [Fact]
    public void TinyTrainingStepsReduceTheLoss()
    {
        TorchRuntime.EnsureLoaded();
        using var model = GlobalRandom.Create(4711, () => nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)));
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        using var draws = new Generator(4711);
        using var x = randn([64, 8], generator: draws);
        using var y = x[.., 0].gt(0).to(ScalarType.Int64) + x[.., 1].gt(0).to(ScalarType.Int64);

        float Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }

        var first = Step();
        var last = first;
        for (var i = 0; i < 50; i++) last = Step();

        last.ShouldBeLessThan(first * 0.7f);
    }

    [Fact]
    public void FlushDenormalIsHonoured()
    {
        TorchRuntime.EnsureLoaded();
        LibTorchContext.SetFlushDenormal().ShouldBeTrue();
        using var tiny = tensor(new[] { 1e-39f }); // a float32 denormal

        using var doubled = tiny * 2;

        doubled.item<float>().ShouldBe(0f);
    }

    [Fact]
    public void FlushDenormalReachesIntraOpThreadsStartedAfterIt()
    {
        TorchRuntime.EnsureLoaded();
        long nonZero = -1;
        // A fresh thread: its OpenMP pool is created on its first parallel op, after Enable, and inherits FTZ/DAZ.
        var thread = new Thread(() =>
        {
            LibTorchContext.SetFlushDenormal();
            using var tiny = full(1 << 20, 1e-39f);
            using var doubled = tiny * 2;
            nonZero = doubled.count_nonzero().item<long>();
        });
        thread.Start();
        thread.Join();

        nonZero.ShouldBe(0);
    }
}
