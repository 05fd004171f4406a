using System.Buffers.Binary;
using Microsoft.AspNetCore.Cryptography.KeyDerivation;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>The app as deployed: no test speed-up of the password hasher.</summary>
public sealed class DeployedHashingFactory : TransferHubFactory
{
    protected override bool FastPasswordHashing => false;
}

/// <summary>
/// The other API tests hash passwords with fewer iterations to save CPU (<see cref="TransferHubFactory"/>); this pins what a
/// deployment stores: Identity's format 3, PBKDF2 with HMAC-SHA512 and at least 100 000 iterations.
/// </summary>
public sealed class DeployedPasswordHashingTests(DeployedHashingFactory factory) : IClassFixture<DeployedHashingFactory>
{
    [Fact]
    public async Task TheBootstrapAdminsPasswordIsStoredWithPbkdf2Sha512AtTheDeployedWorkFactor()
    {
        using var scope = factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var admin = (await users.FindByEmailAsync(TransferHubFactory.AdminEmail)).ShouldNotBeNull();

        var hash = Convert.FromBase64String(admin.PasswordHash.ShouldNotBeNull());
        hash[0].ShouldBe((byte)0x01); // format 3
        BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(1, 4)).ShouldBe((uint)KeyDerivationPrf.HMACSHA512);
        BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(5, 4)).ShouldBeGreaterThanOrEqualTo(100_000u);
        (await users.CheckPasswordAsync(admin, TransferHubFactory.AdminPassword)).ShouldBeTrue();
    }
}
