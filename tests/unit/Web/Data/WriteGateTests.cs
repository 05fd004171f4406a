using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Web.Data;

/// <summary>On SQLite every SaveChanges passes the write gate by itself, and a section that holds the gate can still save.</summary>
public sealed class WriteGateTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("th-gate-").FullName;
    private readonly ServiceProvider _services;

    public WriteGateTests()
    {
        var configuration = new ConfigurationBuilder().Build();
        _services = new ServiceCollection().AddAppDatabase(configuration, _folder).BuildServiceProvider();
        using var db = Factory.CreateDbContext();
        db.Database.Migrate();
    }

    private IDbContextFactory<AppDbContext> Factory => _services.GetRequiredService<IDbContextFactory<AppDbContext>>();
    private WriteGate Gate => _services.GetRequiredService<WriteGate>();

    [Fact]
    public async Task ASaveWaitsWhileAnotherFlowHoldsTheGateAndLandsOnceItIsReleased()
    {
        // Entered on another flow: this test's own saves must not count as its holder.
        var held = await Task.Run(async () => await Gate.EnterAsync(CancellationToken.None));
        await using var db = await Factory.CreateDbContextAsync();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "waits", Xml = "<key/>" });

        var save = db.SaveChangesAsync();
        SpinWait.SpinUntil(() => Gate.Waiting == 1, Patience).ShouldBeTrue("the save never queued at the gate");
        save.IsCompleted.ShouldBeFalse();

        held.Dispose();
        (await save.WaitAsync(Patience)).ShouldBe(1);
        Gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task ASectionThatHoldsTheGateSavesWithoutWaitingForItself()
    {
        await using var db = await Factory.CreateDbContextAsync();
        using (await Gate.EnterAsync(CancellationToken.None))
        {
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "re-entrant", Xml = "<key/>" });
            (await db.SaveChangesAsync().WaitAsync(Patience)).ShouldBe(1);
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "synchronous", Xml = "<key/>" });
            db.SaveChanges().ShouldBe(1);
        }
        // Released: another flow gets in at once.
        using var next = await Task.Run(async () => await Gate.EnterAsync(CancellationToken.None)).WaitAsync(Patience);
    }

    [Fact]
    public async Task AFailedSaveReleasesTheGate()
    {
        await using var db = await Factory.CreateDbContextAsync();
        var key = new DataProtectionKey { FriendlyName = "twice", Xml = "<key/>" };
        db.DataProtectionKeys.Add(key);
        await db.SaveChangesAsync();
        await using var other = await Factory.CreateDbContextAsync();
        other.DataProtectionKeys.Add(new DataProtectionKey { Id = key.Id, FriendlyName = "duplicate id", Xml = "<key/>" });

        await Should.ThrowAsync<DbUpdateException>(() => other.SaveChangesAsync());

        using var next = await Task.Run(async () => await Gate.EnterAsync(CancellationToken.None)).WaitAsync(Patience);
        Gate.Waiting.ShouldBe(0);
    }

    public void Dispose()
    {
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
