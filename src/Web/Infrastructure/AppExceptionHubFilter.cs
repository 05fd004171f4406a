using Microsoft.AspNetCore.SignalR;

namespace TransferHub.Web.Infrastructure;

/// <summary>Hub clients get a service error's message (as a HubException); anything else stays a generic error, as on the REST API.</summary>
internal sealed class AppExceptionHubFilter : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (AppException e)
        {
            throw new HubException($"{e.Title}: {e.Message}");
        }
    }
}
