using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TransferHub.Shared.Projects;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Integration;

public sealed class PlatformApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Theory]
    [InlineData("/health")]
    [InlineData("/api/projects")] // a 401
    [InlineData("/Account/Login")]
    public async Task EveryAnswerCarriesTheSecurityHeaders(string path)
    {
        var response = await factory.CreateClient().GetAsync(path);

        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        response.Headers.GetValues("X-Frame-Options").ShouldBe(["SAMEORIGIN"]);
        response.Headers.GetValues("Referrer-Policy").ShouldBe(["strict-origin-when-cross-origin"]);
        response.Headers.GetValues("Permissions-Policy").Single().ShouldContain("camera=()");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("script-src 'self' 'nonce-");
        policy.ShouldNotContain("unsafe-eval");
        policy.ShouldNotContain("script-src 'self' 'unsafe-inline'");
        policy.ShouldContain("object-src 'none'");
    }

    [Fact]
    public async Task APageAllowsOnlyItsOwnInlineScriptByAFreshNonce()
    {
        var client = factory.CreateClient();
        var first = await client.GetAsync("/Account/Login");
        var second = await client.GetAsync("/Account/Login");

        string Nonce(HttpResponseMessage r) => System.Text.RegularExpressions.Regex.Match(r.Headers.GetValues("Content-Security-Policy").Single(), "'nonce-([^']+)'").Groups[1].Value;
        Nonce(first).Length.ShouldBeGreaterThanOrEqualTo(20);
        Nonce(first).ShouldNotBe(Nonce(second));
        var html = System.Net.WebUtility.HtmlDecode(await first.Content.ReadAsStringAsync());
        // Every inline script (the import map) carries the nonce; every other script comes from this origin by src.
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>").Select(m => m.Value).ToList();
        scripts.ShouldContain(s => s.Contains("importmap"));
        var nonce = Nonce(first);
        scripts.ShouldAllBe(s => s.Contains("src=\"") || s.Contains($"nonce=\"{nonce}\""));
    }

    [Fact]
    public async Task HealthReportsDatabaseAndArtifactStoreWithoutAToken()
    {
        var response = await factory.CreateClient().GetAsync("/health");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("status").GetString().ShouldBe("Healthy");
        body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString().ShouldBe("Healthy");
        body.GetProperty("checks").GetProperty("artifacts").GetProperty("status").GetString().ShouldBe("Healthy");
        body.GetProperty("checks").GetProperty("embedded-worker").GetProperty("description").GetString().ShouldBe("InProcess: no worker process.");
    }

    [Fact]
    public async Task OpenApiDocumentListsTheApiWithBearerSecurity()
    {
        var doc = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = doc.GetProperty("paths");
        paths.TryGetProperty("/api/projects", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/projects/{projectId}/members", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/auth/token", out _).ShouldBeTrue();
        doc.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task TheExperimentBodyRequiresOnlyWhatHasNoDefault()
    {
        var doc = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var schema = doc.GetProperty("components").GetProperty("schemas").GetProperty("CreateExperimentRequest");

        schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order().ShouldBe(["architecture", "datasetVersionId", "name"]);
        schema.GetProperty("properties").TryGetProperty("steps", out _).ShouldBeTrue();
        schema.GetProperty("properties").TryGetProperty("minimumGain", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task BodyOverTheLimitIs413Problem()
    {
        var huge = JsonContent.Create(new CreateProjectRequest(new string('x', 70_000), null));
        await huge.LoadIntoBufferAsync(); // gives the request a Content-Length, as browsers and most clients send

        var response = await factory.AdminClient().PostAsync("/api/projects", huge);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Title.ShouldBe("Request too large");
    }

    [Fact]
    public async Task MalformedJsonIs400Problem()
    {
        var content = new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json");

        var response = await factory.AdminClient().PostAsync("/api/projects", content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task UnknownApiRouteIs404Problem()
    {
        var response = await factory.AdminClient().GetAsync("/api/no-such-thing");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task ServerFaultIs500ProblemWithoutStackTraceOrMessage()
    {
        var failing = new FailingDbFactory();
        using var broken = factory.WithWebHostBuilder(b => b.ConfigureServices(s =>
        {
            var inner = s.Single(d => d.ServiceType == typeof(IDbContextFactory<AppDbContext>));
            s.Remove(inner);
            s.AddSingleton<IDbContextFactory<AppDbContext>>(sp => failing.Wrap((IDbContextFactory<AppDbContext>)ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)));
        }));
        var client = broken.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TransferHubFactory.AdminToken);
        (await client.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);

        failing.Fail = true;
        var response = await client.GetAsync("/api/projects");

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotContain(FailingDbFactory.Secret);
        text.ShouldNotContain(" at ");
        var problem = JsonSerializer.Deserialize<ProblemDetails>(text, Json.Options)!;
        problem.Title.ShouldBe("Unexpected error");
        problem.Extensions.ShouldContainKey("traceId");
    }

    private sealed class FailingDbFactory
    {
        public const string Secret = "Server=db.internal;Password=hunter2";
        public volatile bool Fail;

        public IDbContextFactory<AppDbContext> Wrap(IDbContextFactory<AppDbContext> inner) => new Wrapper(this, inner);

        private sealed class Wrapper(FailingDbFactory owner, IDbContextFactory<AppDbContext> inner) : IDbContextFactory<AppDbContext>
        {
            public AppDbContext CreateDbContext() =>
                owner.Fail ? throw new InvalidOperationException("Cannot open " + Secret) : inner.CreateDbContext();
        }
    }
}
