using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Tokens;
using TransferHub.Web.Features.Users;

namespace TransferHub.Web.Features.Identity;

/// <summary>
/// At start: makes sure every role exists, and on an empty database seeds the admin and API token named by
/// <c>Bootstrap:AdminEmail</c>, <c>Bootstrap:AdminPassword</c> and <c>Bootstrap:AdminToken</c>. Ignored once any account exists.
/// </summary>
public static partial class BootstrapSeeder
{
    public static async Task SeedAsync(IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in AppRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                UserService.ThrowIfFailed(await roles.CreateAsync(new IdentityRole(role)));
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        if (await users.AnyAsync(ct))
        {
            return;
        }
        var bootstrap = services.GetRequiredService<IOptions<BootstrapOptions>>().Value;
        var (email, password, token) = (bootstrap.AdminEmail, bootstrap.AdminPassword, bootstrap.AdminToken);
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password))
        {
            LogAwaitingSetup(logger, FirstRunMiddleware.SetupPath);
            return;
        }
        var admin = await users.CreateAsync(new CreateUserRequest(email, password, "Administrator", AppRoles.All), ct);
        LogSeededAdmin(logger, email);
        if (!string.IsNullOrWhiteSpace(token))
        {
            await scope.ServiceProvider.GetRequiredService<TokenService>().ImportAsync("bootstrap", token, admin.Id, ct);
            LogSeededToken(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No account exists yet: open {SetupPath} in a browser to create the first admin.")]
    private static partial void LogAwaitingSetup(ILogger logger, string setupPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the first admin {Email} from Bootstrap settings.")]
    private static partial void LogSeededAdmin(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the bootstrap API token from Bootstrap:AdminToken.")]
    private static partial void LogSeededToken(ILogger logger);
}
