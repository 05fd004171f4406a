using Microsoft.EntityFrameworkCore;

namespace TransferHub.Registry.Features.Models;

/// <summary>
/// Opens a unit of work on the database that holds the registry's tables (<see cref="RegistrySets"/>). The host owns the
/// one DbContext, its provider, migrations and the SQLite write gate; the registry's services see only this.
/// </summary>
public interface IRegistryDatabase
{
    /// <summary>A new context; the caller disposes it.</summary>
    ValueTask<DbContext> OpenAsync(CancellationToken ct);
}
