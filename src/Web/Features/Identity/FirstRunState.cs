using TransferHub.Web.Features.Users;

namespace TransferHub.Web.Features.Identity;

/// <summary>Whether the first admin still has to be created. Once an account exists the answer never changes, so it is cached.</summary>
public sealed class FirstRunState(UserService users)
{
    private readonly SemaphoreSlim _setupLock = new(1, 1);
    private volatile bool _hasUsers;

    public async Task<bool> NeedsSetupAsync(CancellationToken ct)
    {
        if (_hasUsers)
        {
            return false;
        }
        _hasUsers = await users.AnyAsync(ct);
        return !_hasUsers;
    }

    /// <summary>Runs <paramref name="create"/> only while no account exists; two browsers racing to set up get one admin.</summary>
    public async Task<bool> TryCompleteAsync(Func<Task> create, CancellationToken ct)
    {
        await _setupLock.WaitAsync(ct);
        try
        {
            if (!await NeedsSetupAsync(ct))
            {
                return false;
            }
            await create();
            _hasUsers = true;
            return true;
        }
        finally
        {
            _setupLock.Release();
        }
    }
}

/// <summary>Sends every page request to the setup page until the first admin exists.</summary>
internal sealed class FirstRunMiddleware(RequestDelegate next)
{
    public const string SetupPath = "/Account/Setup";

    public async Task InvokeAsync(HttpContext context, FirstRunState state)
    {
        var path = context.Request.Path;
        var isPage = HttpMethods.IsGet(context.Request.Method)
            && !Infrastructure.ApiPaths.IsApi(path)
            && !path.StartsWithSegments(SetupPath)
            && !path.StartsWithSegments("/_framework") && !path.StartsWithSegments("/_content") && !path.StartsWithSegments("/_blazor")
            && !path.StartsWithSegments("/health") && !path.StartsWithSegments("/openapi")
            && !Path.HasExtension(path.Value);
        if (isPage && await state.NeedsSetupAsync(context.RequestAborted))
        {
            context.Response.Redirect(SetupPath);
            return;
        }
        await next(context);
    }
}
