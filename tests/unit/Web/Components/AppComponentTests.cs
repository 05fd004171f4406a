using Bunit;
using TransferHub.Web.Components.Common;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class AppComponentTests : MudComponentTest
{
    private sealed class Page : AppComponent
    {
        public CancellationToken Token => Aborted;
        public bool Released { get; private set; }
        protected override void OnDisposing() => Released = true;
    }

    [Fact]
    public async Task LeavingThePageCancelsItsReadsAndReleasesWhatItHolds()
    {
        var page = Render<Page>().Instance;
        page.Token.IsCancellationRequested.ShouldBeFalse();

        await DisposeComponentsAsync();

        page.Token.IsCancellationRequested.ShouldBeTrue();
        page.Released.ShouldBeTrue();
    }
}
