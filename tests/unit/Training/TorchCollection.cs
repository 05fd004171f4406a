namespace TransferHub.Tests.Unit.Training;

/// <summary>
/// Torch tests run one class at a time: on a 2-core CI machine parallel libtorch work only fights over the cores,
/// and the source models are pretrained once for all of them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection : ICollectionFixture<SourceModels>
{
    public const string Name = "Torch";
}
