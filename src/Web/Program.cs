using TransferHub.Web.Data;
using TransferHub.Web.Features.Backup;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Registry;
using TransferHub.Web.Features.Security;
using TransferHub.Web.Features.Workers;
using TransferHub.Web.Hosting;
using TransferHub.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and our static assets from the build output in every environment, not only Development.
builder.WebHost.UseStaticWebAssets();
var dataRoot = DataPaths.Resolve(builder.Configuration, builder.Environment);
if (BackupCommand.IsCommand(args))
{
    // A command, not the server: nothing else starts.
    Environment.Exit(await BackupCommand.RunAsync(args, builder.Configuration, dataRoot, Console.Out, CancellationToken.None));
}

builder.Services
    .AddPlatform(builder.Configuration, dataRoot)
    .AddTrainingEngine()
    .AddAppIdentity(builder.Configuration)
    .AddSecurityLog()
    .AddProjects()
    .AddDatasets(dataRoot)
    .AddExperiments()
    .AddWorkers()
    .AddWeights(dataRoot)
    .AddModelRegistry()
    .AddBackups(dataRoot)
    .AddPortal(builder.Configuration);

var app = builder.Build();

await app.MigrateDatabaseAsync();
await BootstrapSeeder.SeedAsync(app.Services, app.Logger, CancellationToken.None);

app.UsePlatformPipeline()
    .MapApi()
    .MapPortal();

app.Run();
