using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;
using MudBlazor.Services;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Components;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Health;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Notifications;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Features.Registry;
using TransferHub.Web.Features.Tokens;
using TransferHub.Web.Features.Users;
using TransferHub.Web.Features.Versions;
using TransferHub.Web.Features.Sample;
using TransferHub.Web.Features.Weights;
using TransferHub.Web.Features.Workers;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and our static assets from the build output in every environment, not only Development.
builder.WebHost.UseStaticWebAssets();
var dataRoot = DataPaths.Resolve(builder.Configuration, builder.Environment);

builder.Services.AddSingleton(TimeProvider.System);
// A background loop that fails logs and ends alone; it never stops the web server (each loop also survives its own errors).
builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
builder.Services.AddAppDatabase(builder.Configuration, dataRoot);
builder.Services.AddDataProtection().SetApplicationName("TransferHub").PersistKeysToDbContext<AppDbContext>();
builder.Services.AddArtifactStore(dataRoot);
builder.Services.AddAppIdentity(builder.Configuration);
builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
    c.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? c.HttpContext.TraceIdentifier);
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddAppOpenApi();
builder.Services.AddAppHealthChecks();
builder.Services.AddSingleton<UserService>();
builder.Services.AddSingleton<ProjectService>();
builder.Services.AddSingleton<NotificationService>();
builder.Services.AddDatasets(dataRoot);
builder.Services.AddExperiments();
builder.Services.AddWorkers();
builder.Services.AddSingleton<WeightsService>();
builder.Services.AddSingleton<ModelScoringService>();
builder.Services.AddSingleton<IItemScoreProvider>(sp => sp.GetRequiredService<ModelScoringService>());
builder.Services.AddSingleton<SampleProjectService>();
builder.Services.AddModelRegistry();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddSignalR(o => o.AddFilter<AppExceptionHubFilter>()).AddWorkerHubOptions().AddScaleOut(builder.Services, builder.Configuration);
builder.Services.AddMudServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();
await BootstrapSeeder.SeedAsync(app.Services, app.Configuration, app.Logger, CancellationToken.None);

app.UseSecurityHeaders();
app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/Error", CreateScopeForErrors = true });
app.UseWhen(ctx => ApiPaths.IsApi(ctx.Request.Path), api => api.UseStatusCodePages());
if (!app.Environment.IsDevelopment())
{
    app.UseHsts();
}
app.UseMiddleware<FirstRunMiddleware>();
app.UseRouting();
app.UseMiddleware<RequestSizeLimitMiddleware>();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapOpenApi().AllowAnonymous();
app.MapAppHealth();
app.MapAccountEndpoints();
var api = app.MapGroup("/api").DisableAntiforgery();
api.MapProjectEndpoints().MapUserEndpoints().MapTokenEndpoints().MapNotificationEndpoints().MapDatasetEndpoints().MapVersionEndpoints().MapExperimentEndpoints().MapWorkerEndpoints().MapWeightsEndpoints()
    .MapSampleProjectEndpoints();
api.MapRegistryEndpoints();
api.MapGet("/worker/me", (System.Security.Claims.ClaimsPrincipal worker) => new { name = worker.Identity?.Name })
    .RequireAuthorization(AuthorizationPolicies.Worker).WithTags("Workers").WithSummary("Who a worker token speaks for (worker tokens only).");
app.MapHub<LabelingHub>(LabelingHubContract.Route);
app.MapHub<WorkerHub>(WorkerHubContract.Route);
app.MapHub<ExperimentHub>(ExperimentHubContract.Route);
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
