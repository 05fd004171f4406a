using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Webhooks;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Tests.Unit.Integration.Experiments;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>
/// One project with something behind every kind of route parameter — dataset, item, import, label, version, experiment, run,
/// registered model with a pending approval, webhook and delivery, token, notification, member — for the route suite to aim at.
/// </summary>
public sealed class RouteSecurityFactory : TransferHubFactory, IAsyncLifetime
{
    public DatasetScenario S { get; private set; } = null!;

    /// <summary>Route parameter name → a real value in the project (or the admin's own, for tokens and notifications).</summary>
    public Dictionary<string, string> Ids { get; } = [];

    /// <summary>The operations of the app's OpenAPI document: method, path template and whether it takes a JSON body.</summary>
    public IReadOnlyList<(string Method, string Path, bool JsonBody)> Operations { get; private set; } = [];

    public JsonElement Document { get; private set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Webhooks:AllowPrivateTargets", "true"); // the webhook points at a closed loopback port
    }

    public async Task InitializeAsync()
    {
        S = await DatasetScenario.CreateAsync(this);
        var dataset = await S.CreateDatasetAsync(DatasetKind.Image, LabelTask.SingleLabel, 0, "red", "blue");
        var entries = Enumerable.Range(0, 16).Select(i => ($"{(i % 2 == 0 ? "red" : "blue")}/{i}.png",
            DatasetScenario.Png(8 + i, 8, i % 2 == 0 ? SKColors.Red : SKColors.Blue))).ToArray();
        var import = await S.ImportAsync(dataset.Id, [("squares.zip", DatasetScenario.Zip(entries))]);
        var items = (await S.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items;
        var version = (await (await S.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.5, 0.25, 0.25), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        var created = await S.Scientist.PostAsJsonAsync($"/api/projects/{S.ProjectId}/experiments",
            new CreateExperimentRequest("victim", version.Id, "small-cnn", null, Seeds: 1, Epochs: 1, ImageSize: 8, LearningRate: 3e-3, BatchSize: 4));
        created.EnsureSuccessStatusCode();
        var experiment = await ExperimentTests.WaitFinishedAsync(this, S.Scientist, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        var run = experiment.Runs.Single();
        var model = $"victim-{Guid.NewGuid():N}"[..16];
        (await S.Scientist.PostAsJsonAsync($"/api/projects/{S.ProjectId}/models", new RegisterModelRequest(model, run.Id))).EnsureSuccessStatusCode();
        var transition = await S.Scientist.PostAsJsonAsync($"/api/models/{model}/versions/1/transitions", new TransitionRequest(ModelStage.Production, "please"));
        transition.EnsureSuccessStatusCode();
        var approval = (await transition.Content.ReadFromJsonAsync<TransitionResultDto>(Json.Options))!.Approval!;
        var hook = await S.Admin.PostAsJsonAsync($"/api/projects/{S.ProjectId}/webhooks", new CreateWebhookRequest("http://127.0.0.1:9/hook", null), Json.Options);
        hook.EnsureSuccessStatusCode();
        var webhookId = (await hook.Content.ReadFromJsonAsync<CreatedWebhookDto>(Json.Options))!.Webhook.Id;
        var ping = await S.Admin.PostAsync($"/api/webhooks/{webhookId}/ping", null);
        ping.EnsureSuccessStatusCode();
        var token = await S.Admin.PostAsJsonAsync("/api/tokens", new { name = "victim's" });
        token.EnsureSuccessStatusCode();
        var notifications = await S.Admin.GetFromJsonAsync<JsonElement>("/api/notifications");
        var members = await S.Admin.GetFromJsonAsync<JsonElement>($"/api/projects/{S.ProjectId}/members");

        Ids["projectId"] = S.ProjectId.ToString();
        Ids["datasetId"] = dataset.Id.ToString();
        Ids["labelId"] = dataset.Labels[0].Id.ToString();
        Ids["itemId"] = items[0].Id.ToString();
        Ids["importId"] = import.Id.ToString();
        Ids["versionId"] = Ids["otherId"] = version.Id.ToString();
        Ids["experimentId"] = experiment.Id.ToString();
        Ids["runId"] = run.Id.ToString();
        Ids["model"] = model;
        Ids["version"] = "1";
        Ids["actual"] = Ids["predicted"] = "0"; // a confusion-matrix cell
        Ids["approvalId"] = approval.Id.ToString();
        Ids["architecture"] = "small-cnn"; // a required query parameter
        Ids["webhookId"] = webhookId.ToString();
        Ids["deliveryId"] = (await ping.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Ids["tokenId"] = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("info").GetProperty("id").GetString()!;
        Ids["notificationId"] = notifications.EnumerateArray().Select(n => n.GetProperty("id").GetString()!).FirstOrDefault() ?? Guid.NewGuid().ToString();
        Ids["userId"] = members.EnumerateArray().Select(m => m.GetProperty("userId").GetString()!).First(id => id != AdminUserId(members));

        Document = await AdminClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Operations = [.. Document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject().Select(op =>
            (op.Name.ToUpperInvariant(), path.Name, op.Value.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out _))))];
    }

    private static string AdminUserId(JsonElement members) =>
        members.EnumerateArray().First(m => m.GetProperty("email").GetString() == AdminEmail).GetProperty("userId").GetString()!;

    /// <summary>The path with every parameter replaced by the arranged value of that name (a fresh GUID for any other).</summary>
    public string Fill(string template) => System.Text.RegularExpressions.Regex.Replace(template, @"\{(\w+)\}",
        m => Ids.TryGetValue(m.Groups[1].Value, out var id) ? Uri.EscapeDataString(id) : Guid.NewGuid().ToString());

    /// <summary>The operation's URL: <see cref="Fill"/>ed path and a value for each required query parameter.</summary>
    public string Url(string method, string path)
    {
        var operation = Document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant());
        var query = operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query" && p.TryGetProperty("required", out var r) && r.GetBoolean())
                .Select(p => p.GetProperty("name").GetString()!).Select(name => $"{name}={Uri.EscapeDataString(Ids.GetValueOrDefault(name, "1"))}").ToList()
            : [];
        return Fill(path) + (query.Count > 0 ? "?" + string.Join('&', query) : "");
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Issue 13 item 9: authorization and hostile input on <em>every</em> route, generated from the OpenAPI document, so a route
/// added without its checks fails here without anyone writing a test for it.
/// </summary>
public sealed class RouteSecurityTests(RouteSecurityFactory f) : IClassFixture<RouteSecurityFactory>
{
    /// <summary>Routes anyone may call without signing in, each with the reason.</summary>
    private static readonly Dictionary<string, string> Anonymous = new()
    {
        ["POST /api/auth/token"] = "exchanges a password for a token: the way in",
    };

    /// <summary>
    /// Routes a signed-in person who is no member of the project may call with success, each with the reason: they act on the
    /// caller's own things or on what is shared by design, never on the project's (the suite checks no response names it).
    /// </summary>
    private static readonly Dictionary<string, string> OwnScope = new()
    {
        ["GET /api/projects"] = "lists the caller's projects",
        ["POST /api/projects"] = "creates a project of the caller's own",
        ["GET /api/me"] = "the caller",
        ["GET /api/tokens"] = "the caller's tokens",
        ["POST /api/tokens"] = "a token for the caller",
        ["GET /api/notifications"] = "the caller's notifications",
        ["POST /api/notifications/read-all"] = "the caller's notifications",
        ["GET /api/models"] = "the models of the caller's projects",
        ["GET /api/weights"] = "pretrained weights are a shared library (Scientists and Admins)",
        ["POST /api/weights"] = "adds to the shared library (Scientists and Admins)",
        ["GET /api/weights/hub/catalog"] = "the catalog of known Hub models",
        ["POST /api/weights/hub"] = "adds to the shared library from the Hub (Scientists and Admins; not called: it downloads)",
        ["GET /api/webhooks/events"] = "the names of the events",
        ["GET /api/workers"] = "which workers are online (no project data)",
        ["GET /api/workers/embedded"] = "the embedded worker's state (no project data)",
        ["POST /api/sample-project"] = "creates a sample project of the caller's own (not called: it trains)",
    };

    /// <summary>Not called by the outsider: one starts minutes of training, the other downloads from the Hub (502 here).</summary>
    private static readonly HashSet<string> NotCalled = ["POST /api/sample-project", "POST /api/weights/hub"];

    [Fact]
    public void EveryApiEndpointIsInTheDocument()
    {
        var documented = f.Operations.Select(o => $"{o.Method} {o.Path}").ToHashSet();
        var endpoints = f.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(m => $"{m} /{System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!.Trim('/'), @"\{(\w+)(:[^}]+)?\}", "{$1}")}"))
            .ToList();

        endpoints.Count.ShouldBeGreaterThan(100);
        endpoints.Where(e => !documented.Contains(e)).ShouldBeEmpty("an API route left out of the OpenAPI document escapes this suite");
        Anonymous.Keys.Concat(OwnScope.Keys).Where(k => !documented.Contains(k)).ShouldBeEmpty("an exception for a route that is gone");
    }

    [Fact]
    public async Task AnonymousCallsAreRefusedOnEveryRouteButTheWayIn()
    {
        var anonymous = f.CreateClient();
        var failures = new List<string>();
        foreach (var (method, path, body) in f.Operations)
        {
            var key = $"{method} {path}";
            var status = (int)(await anonymous.SendAsync(Request(method, f.Url(method, path), body))).StatusCode;
            // The way in answers an empty body with a refusal of its own; everything else with 401.
            if (Anonymous.ContainsKey(key) ? status is < 400 or >= 500 : status != 401)
            {
                failures.Add($"{key}: {status}");
            }
        }

        f.Operations.Count.ShouldBeGreaterThan(100);
        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task APersonOutsideTheProjectGetsNothingOfItFromAnyRoute()
    {
        // A Scientist — the widest role short of Admin — who is not a member of the project.
        var (_, outsider) = await f.CreateUserAsync($"stranger-{Guid.NewGuid():N}"[..20] + "@example.test", AppRoles.Scientist);
        var secrets = new[] { f.Ids["projectId"], f.Ids["datasetId"], f.Ids["experimentId"], f.Ids["runId"], f.Ids["model"], f.Ids["itemId"], f.Ids["webhookId"] };
        var failures = new List<string>();
        foreach (var (method, path, body) in f.Operations)
        {
            var key = $"{method} {path}";
            if (NotCalled.Contains(key))
            {
                continue;
            }
            var url = f.Url(method, path);
            // A body that binds (the required fields, pointing at the project's things), so the refusal is the route's own.
            var response = await outsider.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)
            {
                Content = body ? new StringContent(JsonSerializer.Serialize(Sample(method, path)), Encoding.UTF8, "application/json") : null,
            });
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (OwnScope.ContainsKey(key) || Anonymous.ContainsKey(key) ? status >= 500 : status is not (403 or 404))
            {
                failures.Add($"{key}: {status} {text[..Math.Min(text.Length, 200)]}");
            }
            // A refusal may repeat what the caller sent (the model's name in the URL), nothing else of the project.
            else if (secrets.FirstOrDefault(s => !url.Contains(s, StringComparison.Ordinal) && text.Contains(s, StringComparison.OrdinalIgnoreCase)) is { } leaked)
            {
                failures.Add($"{key}: the answer names the project's {leaked}");
            }
        }

        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task HostileBodiesOnEveryRouteGetAClearRefusalAndTheServerStaysUp()
    {
        var admin = f.AdminClient();
        var failures = new List<string>();
        var cases = 0;
        foreach (var (method, path, body) in f.Operations.Where(o => o.JsonBody))
        {
            foreach (var (name, content) in HostileBodies(Body(method, path)))
            {
                cases++;
                var request = new HttpRequestMessage(new HttpMethod(method), f.Url(method, path)) { Content = content };
                var response = await admin.SendAsync(request);
                var status = (int)response.StatusCode;
                if (status is < 400 or >= 500)
                {
                    var text = await response.Content.ReadAsStringAsync();
                    failures.Add($"{method} {path} with {name}: {status} {text[..Math.Min(200, text.Length)]}");
                }
                else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{method} {path} with {name}: {status} without a problem body");
                }
            }
        }

        cases.ShouldBeGreaterThan(150);
        failures.ShouldBeEmpty();
        (await admin.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>An operation's JSON body from the document: whether it must be sent, and its top-level properties (schema
    /// type, whether the schema requires it, whether it may be null).</summary>
    private (bool Required, IReadOnlyList<(string Name, string Type, bool Required, bool Nullable)> Properties) Body(string method, string path)
    {
        var body = f.Document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("requestBody");
        var schema = BodySchema(method, path);
        var required = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!).ToHashSet() : [];
        var properties = schema.TryGetProperty("properties", out var all)
            ? all.EnumerateObject().Select(p =>
            {
                var type = p.Value.TryGetProperty("type", out var t) ? t.ToString() : "ref";
                return (p.Name, type, required.Contains(p.Name), type.Contains("null") || p.Value.TryGetProperty("oneOf", out _));
            }).ToList()
            : [];
        return (body.TryGetProperty("required", out var must) && must.GetBoolean(), properties);
    }

    /// <summary>The object schema of an operation's JSON body (a nullable body's object, references followed).</summary>
    private JsonElement BodySchema(string method, string path)
    {
        var schema = f.Document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            schema = oneOf.EnumerateArray().First(s => s.TryGetProperty("$ref", out _));
        }
        return Resolve(schema);
    }

    private JsonElement Resolve(JsonElement schema) => schema.TryGetProperty("$ref", out var reference)
        ? f.Document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]) : schema;

    /// <summary>The smallest body that binds: each required field that cannot be null, with an id of the project's where the
    /// field names one (runId, datasetId…), the enum's first value, "x", 1, false, an empty list or object.</summary>
    private Dictionary<string, object> Sample(string method, string path)
    {
        object Value(string name, JsonElement schema)
        {
            schema = Resolve(schema);
            var type = schema.TryGetProperty("type", out var t) ? t.ToString() : "";
            return schema.TryGetProperty("enum", out var values) ? values[0].ToString()
                : type.Contains("array") ? Array.Empty<object>()
                : type.Contains("integer") || type.Contains("number") ? 1
                : type.Contains("boolean") ? false
                : type.Contains("string") ? f.Ids.GetValueOrDefault(name, schema.TryGetProperty("format", out var format) && format.GetString() == "uuid" ? Guid.NewGuid().ToString() : "x")
                : new Dictionary<string, object>();
        }
        var (_, properties) = Body(method, path);
        var body = BodySchema(method, path);
        return properties.Where(p => p.Required && !p.Nullable).ToDictionary(p => p.Name, p => Value(p.Name, body.GetProperty("properties").GetProperty(p.Name)));
    }

    /// <summary>Bodies no route may take: broken JSON, the wrong shape, nothing where something is required, every field of the
    /// wrong type or null where it may not be, nesting, too big, not UTF-8.</summary>
    private static IEnumerable<(string Name, HttpContent Content)> HostileBodies((bool Required, IReadOnlyList<(string Name, string Type, bool Required, bool Nullable)> Properties) body)
    {
        HttpContent Json(string text) => new StringContent(text, Encoding.UTF8, "application/json");
        var properties = body.Properties;
        yield return ("broken JSON", Json("{\"a\": "));
        yield return ("an array", Json("[1, 2]"));
        yield return ("a number", Json("1e999"));
        if (body.Required)
        {
            yield return ("null", Json("null"));
        }
        if (properties.Any(p => p.Required && !p.Nullable))
        {
            yield return ("an empty object where fields are required", Json("{}"));
            yield return ("null for every required field", Json(JsonSerializer.Serialize(properties.Where(p => p.Required && !p.Nullable).ToDictionary(p => p.Name, _ => (object?)null))));
        }
        if (properties.Count > 0)
        {
            // Objects where strings go, words where numbers go, numbers where lists or objects go.
            var wrong = properties.ToDictionary(p => p.Name, p => p.Type.Contains("string") ? (object)new { nested = new[] { 1 } }
                : p.Type.Contains("integer") || p.Type.Contains("number") ? "ten" : 12345);
            yield return ("every field of the wrong type", Json(JsonSerializer.Serialize(wrong)));
            var deep = string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000));
            yield return ("a field nested 5 000 deep", Json($"{{\"{properties[0].Name}\": {deep}}}"));
        }
        var big = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"name\": \"{new string('x', 70_000)}\"}}"));
        big.Headers.ContentType = new("application/json");
        yield return ("a body over the limit", big);
        if (properties.FirstOrDefault(p => p.Type.Contains("string")) is { Name: { } text })
        {
            var latin1 = new ByteArrayContent([.. Encoding.UTF8.GetBytes($"{{\"{text}\": \""), 0xff, 0xfe, 0xe9, (byte)'"', (byte)'}']);
            latin1.Headers.ContentType = new("application/json");
            yield return ("bytes that are not UTF-8", latin1);
        }
    }

    private static HttpRequestMessage Request(string method, string url, bool jsonBody) => new(new HttpMethod(method), url)
    {
        Content = jsonBody ? new StringContent("{}", Encoding.UTF8, "application/json") : null,
    };
}
