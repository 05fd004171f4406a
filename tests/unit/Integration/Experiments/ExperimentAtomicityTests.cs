using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Integration.Experiments;

/// <summary>A server whose database refuses to store training runs: what an experiment's creation leaves behind.</summary>
public sealed class RunRefusingFactory : TransferHubFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Workers:InProcess", "false");
        builder.ConfigureTestServices(services =>
        {
            services.ConfigureDbContext<SqliteAppDbContext>(o => o.AddInterceptors(new RefuseRuns()));
            services.ConfigureDbContext<PostgresAppDbContext>(o => o.AddInterceptors(new RefuseRuns()));
        });
    }

    private sealed class RefuseRuns : SaveChangesInterceptor
    {
        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default) =>
            eventData.Context!.ChangeTracker.Entries<TrainingRun>().Any()
                ? throw new DbUpdateException("The database refused the runs (planted by the test).")
                : ValueTask.FromResult(result);
    }
}

public sealed class ExperimentAtomicityTests(RunRefusingFactory factory) : IClassFixture<RunRefusingFactory>
{
    [Fact]
    public async Task AnExperimentWhoseRunsCannotBeSavedLeavesNothingBehind()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);

        var response = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("half-saved?", version.Id, "small-cnn", null, 1, 1, 12, null, 8));

        response.IsSuccessStatusCode.ShouldBeFalse();
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        (await db.Experiments.CountAsync(e => e.Name == "half-saved?")).ShouldBe(0);
        (await s.Scientist.GetFromJsonAsync<List<ExperimentSummaryProbe>>($"/api/projects/{s.ProjectId}/experiments", Json.Options))!.ShouldBeEmpty();
    }

    private sealed record ExperimentSummaryProbe(Guid Id);
}
