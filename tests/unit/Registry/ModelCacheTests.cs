using TransferHub.Registry.Features.Serving;
using TransferHub.Registry.Features.Models;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Registry;
using TransferHub.Web.Features.Registry;

namespace TransferHub.Tests.Unit.Registry;

public sealed class ModelCacheTests
{
    private static readonly byte[] Weights = [1, 2, 3, 4];
    private static readonly string Sha = Convert.ToHexStringLower(SHA256.HashData(Weights));
    private readonly IArtifactStore _store = Substitute.For<IArtifactStore>();
    private readonly IModelLoader _loader = Substitute.For<IModelLoader>();
    private readonly List<ILoadedModel> _loaded = [];

    public ModelCacheTests()
    {
        _store.OpenReadAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(_ => Task.FromResult<Stream>(new MemoryStream(Weights)));
        _loader.Load(Arg.Any<byte[]>()).Returns(_ =>
        {
            var model = Substitute.For<ILoadedModel>();
            _loaded.Add(model);
            return model;
        });
    }

    private ModelCache Cache(int capacity, ServingRuntime runtime = ServingRuntime.OnnxRuntime) => new(_store, _loader,
        Options.Create(new RegistryOptions { MaxLoadedModels = capacity, ServingRuntime = runtime }),
        NullLogger<ModelCache>.Instance);

    [Fact]
    public async Task TheLeastRecentlyUsedModelGoesBeyondTheCapacity()
    {
        using var cache = Cache(2);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();

        (await cache.AcquireAsync(a, "a", Sha, CancellationToken.None)).Dispose();
        (await cache.AcquireAsync(b, "b", Sha, CancellationToken.None)).Dispose();
        (await cache.AcquireAsync(a, "a", Sha, CancellationToken.None)).Dispose();
        (await cache.AcquireAsync(c, "c", Sha, CancellationToken.None)).Dispose();

        (cache.IsLoaded(a), cache.IsLoaded(b), cache.IsLoaded(c)).ShouldBe((true, false, true));
        _loaded[1].Received(1).Dispose();
        _loaded[0].DidNotReceive().Dispose();
    }

    [Fact]
    public async Task AnEvictedModelServesItsInFlightPredictionBeforeItIsDisposed()
    {
        using var cache = Cache(4);
        var id = Guid.NewGuid();
        var lease = await cache.AcquireAsync(id, "k", Sha, CancellationToken.None);

        cache.Evict(id);
        _loaded[0].DidNotReceive().Dispose();
        lease.Dispose();

        _loaded[0].Received(1).Dispose();
        cache.IsLoaded(id).ShouldBeFalse();
    }

    [Fact]
    public async Task WeightsThatDoNotMatchTheirHashAreNeverLoaded()
    {
        using var cache = Cache(4);

        await Should.ThrowAsync<ArtifactIntegrityException>(() => cache.AcquireAsync(Guid.NewGuid(), "k", new string('0', 64), CancellationToken.None));

        _loader.DidNotReceive().Load(Arg.Any<byte[]>());
    }

    [Fact]
    public async Task WithOnnxRuntimeAStoredExportIsLoadedInsteadOfTheWeights()
    {
        byte[] export = [9, 8, 7];
        _store.OpenReadAsync("v1.onnx", Arg.Any<CancellationToken>()).Returns(_ => Task.FromResult<Stream>(new MemoryStream(export)));
        _loader.LoadOnnx(Arg.Any<byte[]>()).Returns(Substitute.For<ILoadedModel>());
        using var cache = Cache(4);

        (await cache.AcquireAsync(Guid.NewGuid(), "v1.safetensors", Sha, CancellationToken.None, new StoredOnnx("v1.onnx", Convert.ToHexStringLower(SHA256.HashData(export))))).Dispose();

        _loader.Received(1).LoadOnnx(Arg.Is<byte[]>(b => b.SequenceEqual(export)));
        _loader.DidNotReceive().Load(Arg.Any<byte[]>());
    }

    [Fact]
    public async Task WithTorchSharpTheWeightsAreLoadedEvenWhenAnExportIsStored()
    {
        using var cache = Cache(4, ServingRuntime.TorchSharp);

        (await cache.AcquireAsync(Guid.NewGuid(), "v1.safetensors", Sha, CancellationToken.None, new StoredOnnx("v1.onnx", new string('0', 64)))).Dispose();

        _loader.Received(1).Load(Arg.Any<byte[]>());
        _loader.DidNotReceive().LoadOnnx(Arg.Any<byte[]>());
    }

    [Fact]
    public async Task AStoredExportThatDoesNotMatchItsHashIsNeverLoaded()
    {
        using var cache = Cache(4);

        var error = await Should.ThrowAsync<ArtifactIntegrityException>(() =>
            cache.AcquireAsync(Guid.NewGuid(), "v1.safetensors", Sha, CancellationToken.None, new StoredOnnx("v1.onnx", new string('0', 64))));

        error.Message.ShouldContain("ONNX export");
        _loader.DidNotReceive().LoadOnnx(Arg.Any<byte[]>());
        _loader.DidNotReceive().Load(Arg.Any<byte[]>()); // no silent fallback to the weights
    }

    [Fact]
    public async Task OnAHostWithoutLibTorchAVersionWithoutAStoredExportIsRefusedSayingWhy()
    {
        // What TorchSharp throws where libtorch is not deployed (the serving-only node's build).
        _loader.Load(Arg.Any<byte[]>()).Returns(_ => throw new TypeInitializationException("TorchSharp.torch", new NotSupportedException("no libtorch-cpu-linux-x64")));
        using var cache = Cache(4);

        var error = await Should.ThrowAsync<EngineUnavailableException>(() => cache.AcquireAsync(Guid.NewGuid(), "v1.safetensors", Sha, CancellationToken.None));

        error.StatusCode.ShouldBe(503);
        error.Message.ShouldContain("stored at registration");
    }
}
