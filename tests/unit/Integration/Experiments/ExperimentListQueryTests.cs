using System.Data.Common;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Experiments;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Tests.Unit.Integration.Experiments;

/// <summary>A server without a worker (runs stay pending) that counts the database commands of the test's own calls.</summary>
public sealed class CommandCountingFactory : TransferHubFactory
{
    private static readonly AsyncLocal<StrongBox<int>?> Counter = new();

    /// <summary>Counts the commands <paramref name="work"/> sends (only its own async flow: background services are not counted).</summary>
    public static async Task<(T Result, int Commands)> CountAsync<T>(Func<Task<T>> work)
    {
        var box = new StrongBox<int>();
        Counter.Value = box;
        try
        {
            return (await work(), box.Value);
        }
        finally
        {
            Counter.Value = null;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Workers:InProcess", "false");
        builder.ConfigureTestServices(services =>
        {
            services.ConfigureDbContext<SqliteAppDbContext>(o => o.AddInterceptors(new Counting()));
            services.ConfigureDbContext<PostgresAppDbContext>(o => o.AddInterceptors(new Counting()));
        });
    }

    private sealed class Counting : DbCommandInterceptor
    {
        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Counter.Value is { } box) Interlocked.Increment(ref box.Value);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            if (Counter.Value is { } box) Interlocked.Increment(ref box.Value);
            return ValueTask.FromResult(result);
        }
    }

    public sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}

public sealed class ExperimentListQueryTests(CommandCountingFactory factory) : IClassFixture<CommandCountingFactory>
{
    private async Task CreateAsync(DatasetScenario s, Guid versionId, string name) =>
        (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest(name, versionId, "small-cnn", null, 2, 1, 12, null, 8))).EnsureSuccessStatusCode();

    [Fact]
    public async Task TheListPageReadsEveryExperimentInAFixedNumberOfQueriesAndOnlyFromReadableProjects()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var service = factory.Services.GetRequiredService<ExperimentService>();
        var scientist = await DatasetScenario.PrincipalOfAsync(s.Scientist);
        var outsider = await DatasetScenario.PrincipalOfAsync(s.Outsider);
        await CreateAsync(s, version.Id, "first");

        var (one, withOne) = await CommandCountingFactory.CountAsync(() => service.ListVisibleAsync(scientist, CancellationToken.None));
        for (var i = 0; i < 4; i++) await CreateAsync(s, version.Id, $"more {i}");
        var (five, withFive) = await CommandCountingFactory.CountAsync(() => service.ListVisibleAsync(scientist, CancellationToken.None));
        var hidden = await service.ListVisibleAsync(outsider, CancellationToken.None);

        five.Where(e => e.ProjectId == s.ProjectId).Select(e => e.Name).ShouldBe(["more 3", "more 2", "more 1", "more 0", "first"], ignoreOrder: true); // the test clock stands still
        five.First(e => e.Name == "first").Runs.Count.ShouldBe(2); // baseline × 2 seeds, still pending
        withFive.ShouldBe(withOne); // no query per experiment
        withFive.ShouldBeLessThanOrEqualTo(6);
        one.Count(e => e.ProjectId == s.ProjectId).ShouldBe(1);
        hidden.ShouldNotContain(e => e.ProjectId == s.ProjectId);
    }

    [Fact]
    public async Task VersionsToStartFromAreThoseOfProjectsWhereTheCallerEditsData()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var versions = factory.Services.GetRequiredService<VersionService>();

        var forScientist = await versions.ListStartableAsync(await DatasetScenario.PrincipalOfAsync(s.Scientist), CancellationToken.None);
        var forLabeler = await versions.ListStartableAsync(await DatasetScenario.PrincipalOfAsync(s.LabelerA), CancellationToken.None);
        var forOutsider = await versions.ListStartableAsync(await DatasetScenario.PrincipalOfAsync(s.Outsider), CancellationToken.None);

        forScientist.Single(v => v.Id == version.Id).ShouldSatisfyAllConditions(
            v => v.ProjectId.ShouldBe(s.ProjectId), v => v.Number.ShouldBe(version.Number), v => v.ItemCount.ShouldBe(version.ItemCount));
        forLabeler.ShouldNotContain(v => v.Id == version.Id);
        forOutsider.ShouldNotContain(v => v.Id == version.Id);
    }

    [Fact]
    public async Task RunsToRegisterAreTheSucceededOnesOfProjectsWhereTheCallerEditsData()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        await CreateAsync(s, version.Id, "to register");
        var service = factory.Services.GetRequiredService<ExperimentService>();
        await using (var db = await factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var experiment = db.Experiments.Single(e => e.Name == "to register" && e.ProjectId == s.ProjectId);
            var first = db.TrainingRuns.Where(r => r.ExperimentId == experiment.Id).OrderBy(r => r.Seed).First();
            first.Status = RunStatus.Succeeded; // as a worker would leave it (no result stored: no F1)
            await db.SaveChangesAsync();
        }

        var forScientist = await service.ListRegistrableRunsAsync(await DatasetScenario.PrincipalOfAsync(s.Scientist), CancellationToken.None);
        var forLabeler = await service.ListRegistrableRunsAsync(await DatasetScenario.PrincipalOfAsync(s.LabelerA), CancellationToken.None);

        var run = forScientist.Single(r => r.ProjectId == s.ProjectId);
        (run.Experiment, run.Arm, run.Seed, run.TestMacroF1).ShouldBe(("to register", "baseline", 1, (double?)null));
        forLabeler.ShouldNotContain(r => r.ProjectId == s.ProjectId);
    }
}
