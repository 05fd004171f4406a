using MudBlazor;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Components.Common;

public static class UiErrors
{
    /// <summary>Runs a service call; a service error becomes a snackbar with its message instead of a broken circuit.</summary>
    public static async Task<bool> TryAsync(this ISnackbar snackbar, Func<Task> action, string? success = null)
    {
        try
        {
            await action();
            if (success is not null)
            {
                snackbar.Add(success, Severity.Success);
            }
            return true;
        }
        catch (AppException e)
        {
            snackbar.Add(e.Message, Severity.Error);
            return false;
        }
    }
}
