using System.Security.Claims;

namespace TransferHub.Web.Features.Sample;

public static class SampleProjectEndpoints
{
    public static RouteGroupBuilder MapSampleProjectEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/sample-project", async (ClaimsPrincipal user, SampleProjectService sample, CancellationToken ct) =>
        {
            var created = await sample.CreateAsync(user, null, ct);
            return Results.Created($"/api/experiments/{created.ExperimentId}", created);
        }).WithTags("Projects")
            .WithSummary("Creates the sample project (Admin or Scientist): generated glyph images, a snapshot, two sources pretrained in a child process and a queued experiment. Takes about half a minute.");
        return api;
    }
}
