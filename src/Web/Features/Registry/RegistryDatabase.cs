using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Models;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Registry;

/// <summary>The registry module's view of the app's database: a context from the app's factory (interceptors included).</summary>
public sealed class RegistryDatabase(IDbContextFactory<AppDbContext> dbFactory) : IRegistryDatabase
{
    public async ValueTask<DbContext> OpenAsync(CancellationToken ct) => await dbFactory.CreateDbContextAsync(ct);
}
