using TransferHub.Registry.Features.Registration;
using System.Security.Claims;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// A version's model card: the registry's version, the dataset version it trained on and the experiment's verdict,
/// composed here because it reads three modules.
/// </summary>
public sealed class ModelCards(RegistryService registry, VersionService versions, ExperimentService experiments)
{
    /// <summary>The version's generated model card, in markdown.</summary>
    public async Task<string> WriteAsync(ClaimsPrincipal caller, string model, string version, CancellationToken ct)
    {
        var dto = await registry.GetAsync(caller, model, ct);
        var v = await registry.GetVersionAsync(caller, dto.Id.ToString(), version, ct);
        var (data, dataset) = await versions.GetAsync(caller, v.DatasetVersionId, ct);
        var experiment = await experiments.GetAsync(caller, v.ExperimentId, ct);
        var arm = experiment.Results.FirstOrDefault(r => r.Arm == v.Arm);
        return ModelCard.Write(dto, v, data, dataset, arm, experiment.Results.Any(r => r.Arm == "baseline") ? "baseline" : null);
    }
}
