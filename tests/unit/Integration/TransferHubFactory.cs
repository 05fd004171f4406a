using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Tokens;
using TransferHub.Tests.Support;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>
/// The real app on an in-memory server with its own SQLite file and data folder, seeded through the
/// Bootstrap settings exactly as an automated deployment would be. With <c>TH_TEST_DATABASE=PostgreSql</c> (test.sh's
/// second pass over this suite) each factory gets its own database on a throwaway PostgreSQL server instead.
/// </summary>
public class TransferHubFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@example.test";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string AdminToken = "thp_test-bootstrap-token-0123456789abcdef";

    public string DataRoot { get; } = Path.Combine(Path.GetTempPath(), "transferhub-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The app's clock; tests move it to expire tokens.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected virtual bool SeedAdmin => true;

    /// <summary>
    /// Identity's own PBKDF2 password hasher at 1 000 iterations instead of its default 100 000, as Rails' and Django's test
    /// settings do: the suites create and sign in hundreds of accounts, and at ~100 ms a check the hashing was a fifth of
    /// the unit suite's CPU (docs/benchmarks.md, "CI time"). The deployed work factor is pinned by
    /// <see cref="DeployedPasswordHashingTests"/>.
    /// </summary>
    protected virtual bool FastPasswordHashing => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Data:Root", DataRoot);
        if (PostgresServer.Requested)
        {
            var server = PostgresServer.Shared.GetAwaiter().GetResult();
            builder.UseSetting("Database:Provider", "PostgreSql");
            builder.UseSetting($"ConnectionStrings:{TransferHub.Shared.Common.Names.Database}", server.CreateDatabaseAsync().GetAwaiter().GetResult());
        }
        // An in-memory server: a child worker process could not reach it.
        builder.UseSetting("Workers:Embedded", "InProcess");
        builder.UseSetting("Api:MaxRequestBodyBytes", "65536");
        // Every test scenario signs in several users from one address; RateLimitTests sets its own limits.
        builder.UseSetting("RateLimits:SignInPerMinute", "100000");
        if (SeedAdmin)
        {
            builder.UseSetting("Bootstrap:AdminEmail", AdminEmail);
            builder.UseSetting("Bootstrap:AdminPassword", AdminPassword);
            builder.UseSetting("Bootstrap:AdminToken", AdminToken);
        }
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>().AddSingleton<TimeProvider>(Clock);
            if (FastPasswordHashing)
            {
                services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000);
            }
        });
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient AdminClient() => ClientWithToken(AdminToken);

    /// <summary>Creates an account through the admin API and returns a client holding a fresh personal token for it.</summary>
    public async Task<(string UserId, HttpClient Client)> CreateUserAsync(string email, params string[] roles)
    {
        var admin = AdminClient();
        var created = await admin.PostAsJsonAsync("/api/users", new CreateUserRequest(email, "User-Passw0rd!", null, roles));
        created.EnsureSuccessStatusCode();
        var user = (await created.Content.ReadFromJsonAsync<UserDto>(Json.Options))!;
        var token = await CreateClient().PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "User-Passw0rd!", "test", null));
        token.EnsureSuccessStatusCode();
        var secret = (await token.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!.Token;
        return (user.Id, ClientWithToken(secret));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataRoot, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a finalizer is left in the temp folder; it is not worth failing a test over.
            }
        }
    }
}

/// <summary>A factory with an empty database: no Bootstrap settings, so the first-run flow applies.</summary>
public sealed class EmptyTransferHubFactory : TransferHubFactory
{
    protected override bool SeedAdmin => false;
}

public static class Json
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
