namespace TransferHub.Web.Features.Experiments;

/// <summary>Where a run's files live in the artifact store.</summary>
public static class RunArtifacts
{
    public static string ModelKey(Guid runId) => $"runs/{runId:N}/model.safetensors";

    public static string CheckpointKey(Guid runId) => $"runs/{runId:N}/checkpoint.zip";
}
