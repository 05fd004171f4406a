using Bunit;
using MudBlazor.Services;

namespace TransferHub.Tests.Unit.Web.Components;

/// <summary>
/// The set-up every component test shares: MudBlazor's services, loose JS interop (MudBlazor calls into JS we do not
/// test here), and bUnit's renderer disposed asynchronously after each test (xunit's IAsyncLifetime).
/// </summary>
public abstract class MudComponentTest : BunitContext, IAsyncLifetime
{
    protected MudComponentTest()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        OnDisposed();
    }

    /// <summary>Releases what a test class holds beyond the renderer (a database, say).</summary>
    protected virtual void OnDisposed()
    {
    }
}
