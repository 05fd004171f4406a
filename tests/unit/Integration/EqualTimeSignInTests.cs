using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TransferHub.Shared.Tokens;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Tests.Unit.Integration;

public sealed class CountingHasherFactory : TransferHubFactory
{
    public CountingHasher Hasher { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.RemoveAll<IPasswordHasher<AppUser>>().AddSingleton<IPasswordHasher<AppUser>>(Hasher));
    }

    public sealed class CountingHasher : IPasswordHasher<AppUser>
    {
        private readonly PasswordHasher<AppUser> _inner = new();
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public string HashPassword(AppUser user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(AppUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}

/// <summary>A sign-in for an unknown e-mail does the same password-hash work as one for a real account (no timing oracle).</summary>
public sealed class EqualTimeSignInTests(CountingHasherFactory factory) : IClassFixture<CountingHasherFactory>
{
    [Fact]
    public async Task AnUnknownEmailCostsAPasswordCheckLikeAKnownOne()
    {
        var client = factory.CreateClient();

        var before = factory.Hasher.Verifications;
        var unknown = await client.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest("nobody@example.test", "Wrong-Passw0rd!", "x", null));
        var afterUnknown = factory.Hasher.Verifications;
        var known = await client.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(TransferHubFactory.AdminEmail, "Wrong-Passw0rd!", "x", null));
        var afterKnown = factory.Hasher.Verifications;

        (unknown.StatusCode, known.StatusCode).ShouldBe((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized));
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("Wrong e-mail or password.");
        (await known.Content.ReadAsStringAsync()).ShouldContain("Wrong e-mail or password.");
        (afterUnknown - before).ShouldBe(1);
        (afterKnown - afterUnknown).ShouldBe(1);
    }
}
