using System.Security.Claims;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Web.Features.Registry;

public sealed partial class RegistryService
{
    /// <summary>The version's generated model card, in markdown.</summary>
    public async Task<string> CardAsync(ClaimsPrincipal caller, string model, string version, VersionService versions, CancellationToken ct)
    {
        var dto = await GetAsync(caller, model, ct);
        var v = await GetVersionAsync(caller, dto.Id.ToString(), version, ct);
        var (data, dataset) = await versions.GetAsync(caller, v.DatasetVersionId, ct);
        var experiment = await experiments.GetAsync(caller, v.ExperimentId, ct);
        var arm = experiment.Results.FirstOrDefault(r => r.Arm == v.Arm);
        return ModelCard.Write(dto, v, data, dataset, arm, experiment.Results.Any(r => r.Arm == "baseline") ? "baseline" : null);
    }
}
