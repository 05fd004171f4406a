using System.Reflection;
using System.Text.RegularExpressions;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Tests.Unit.Registry;
using TransferHub.Web.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace TransferHub.Tests.Unit.Infra;

/// <summary>
/// No Docker engine or cluster here, so the deployment files are checked as text: they parse, describe the scale-out
/// stack the README promises, name only settings the app reads, and copy only files that exist and reach the build.
/// </summary>
public sealed class DeploymentFilesTests
{
    // Read with configuration["…"] rather than through an options class with a Section.
    private static readonly string[] PlainKeys =
    [
        "ConnectionStrings:TransferHub", "Redis:ConnectionString", "Data:Root", "Workers:InProcess",
        "Bootstrap:AdminEmail", "Bootstrap:AdminPassword", "Bootstrap:AdminToken", "Identity:MaxFailedAccessAttempts",
        "Identity:LockoutMinutes", "Registry:DriftInterval", "Registry:MaxLoadedModels", "Registry:PredictionRetention",
    ];

    [Fact]
    public void ComposeRunsTwoWebNodesBehindAStickyProxyWithAGpuWorker()
    {
        var services = (YamlMappingNode)Load("docker-compose.yml")[0]["services"];
        services.Children.Keys.Select(k => k.ToString()).ShouldBe(["postgres", "azurite", "redis", "web", "web2", "proxy", "worker"], ignoreOrder: true);
        EnvironmentOf(services["web"]).ShouldContain("Database__Provider=PostgreSql");
        // The SQL Server override swaps the provider and its connection string, nothing else.
        var sqlServer = (YamlMappingNode)Load("docker-compose.sqlserver.yml")[0]["services"];
        sqlServer.Children.Keys.Select(k => k.ToString()).ShouldBe(["sqlserver", "web"], ignoreOrder: true);
        EnvironmentOf(sqlServer["web"]).Select(e => e.Split('=')[0]).ShouldBe(["Database__Provider", "ConnectionStrings__TransferHub"]);
        EnvironmentOf(sqlServer["web"]).ShouldContain("Database__Provider=SqlServer");
        services["web2"]["extends"]["service"].ToString().ShouldBe("web");
        var device = (YamlMappingNode)((YamlSequenceNode)services["worker"]["deploy"]["resources"]["reservations"]["devices"])[0];
        ((YamlSequenceNode)device["capabilities"]).Select(c => c.ToString()).ShouldContain("gpu");
        foreach (var name in new[] { "web", "worker" })
            File.Exists(Path.Combine(RepoPaths.Root, services[name]["build"]["dockerfile"].ToString())).ShouldBeTrue(name);

        var nginx = File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "nginx.conf"));
        nginx.ShouldContain("ip_hash;"); // Blazor circuits stay on the node that opened them
        nginx.ShouldContain("server web:8080;");
        nginx.ShouldContain("server web2:8080;");
        nginx.ShouldContain("proxy_set_header Upgrade $http_upgrade;"); // WebSockets pass
    }

    [Fact]
    public void KubernetesRunsTwoWebReplicasProbedOnHealthAndWorkersOnGpus()
    {
        var documents = Load("infra/k8s/transferhub.yaml");
        YamlMappingNode Kind(string kind, string name) => documents.Single(d => d["kind"].ToString() == kind && d["metadata"]["name"].ToString() == name);

        var web = Kind("Deployment", "transferhub-web");
        int.Parse(web["spec"]["replicas"].ToString()).ShouldBeGreaterThanOrEqualTo(2);
        var webContainer = (YamlMappingNode)((YamlSequenceNode)web["spec"]["template"]["spec"]["containers"])[0];
        webContainer["readinessProbe"]["httpGet"]["path"].ToString().ShouldBe("/health");
        webContainer["livenessProbe"]["httpGet"]["path"].ToString().ShouldBe("/health");
        var ingress = Kind("Ingress", "transferhub");
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"].ToString().ShouldBe("cookie");
        Kind("Service", "transferhub-web");

        var worker = (YamlMappingNode)((YamlSequenceNode)Kind("Deployment", "transferhub-worker")["spec"]["template"]["spec"]["containers"])[0];
        worker["resources"]["limits"]["nvidia.com/gpu"].ToString().ShouldBe("1");
        var args = ((YamlSequenceNode)worker["args"]).Select(a => a.ToString()).ToList();
        args[args.IndexOf("--server") + 1].ShouldBe("http://transferhub-web"); // the Service: workers need no affinity
    }

    [Fact]
    public void EverySettingTheDeploymentFilesSetIsOneTheAppReads()
    {
        var known = OptionsKeys(typeof(ApiOptions).Assembly).Concat(OptionsKeys(typeof(ArtifactStoreOptions).Assembly)).Concat(PlainKeys)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var services = (YamlMappingNode)Load("docker-compose.yml")[0]["services"];
        var composeKeys = EnvironmentOf(services["web"]).Select(e => e.Split('=')[0]);
        var configMap = (YamlMappingNode)Load("infra/k8s/transferhub.yaml").Single(d => d["kind"].ToString() == "ConfigMap")["data"];
        var secretKeys = Regex.Matches(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "k8s", "transferhub.yaml")), @"--from-literal=(\w+)=")
            .Select(m => m.Groups[1].Value);

        var settings = composeKeys.Concat(configMap.Children.Keys.Select(k => k.ToString())).Concat(secretKeys)
            .Where(k => !k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) && k != "TRANSFERHUB_WORKER_TOKEN")
            .Select(k => k.Replace("__", ":", StringComparison.Ordinal)).Distinct().ToList();

        settings.Count.ShouldBeGreaterThan(8);
        settings.Where(k => !known.Contains(k)).ShouldBeEmpty("settings no code reads (a typo, or a renamed option)");
    }

    [Theory]
    [InlineData("infra/web.Dockerfile")]
    [InlineData("infra/worker.Dockerfile")]
    public void DockerfilesCopyOnlyFilesThatExistAndAreNotDockerignored(string dockerfile)
    {
        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Replace("**/", "", StringComparison.Ordinal).TrimEnd('/')).ToList();
        var sources = File.ReadAllLines(Path.Combine(RepoPaths.Root, dockerfile))
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .Where(s => !s.Contains('[', StringComparison.Ordinal)) // nuget.confi[g]: optional on purpose
            .ToList();

        sources.ShouldNotBeEmpty();
        foreach (var source in sources)
        {
            var path = Path.Combine(RepoPaths.Root, source);
            (File.Exists(path) || Directory.Exists(path)).ShouldBeTrue($"{dockerfile} copies {source}, which does not exist");
            source.TrimEnd('/').Split('/').ShouldNotContain(part => ignored.Contains(part), $"{source} is excluded by .dockerignore");
        }
        var entry = Regex.Match(File.ReadAllText(Path.Combine(RepoPaths.Root, dockerfile)), "ENTRYPOINT \\[\"dotnet\", \"([^\"]+)\"").Groups[1].Value;
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .ShouldContain(p => Path.GetFileNameWithoutExtension(p) + ".dll" == entry, $"no project builds {entry}");
    }

    private static List<string> EnvironmentOf(YamlNode service) => [.. ((YamlSequenceNode)service["environment"]).Select(e => e.ToString())];

    private static List<YamlMappingNode> Load(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoPaths.Root, relativePath));
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    // "Section:Property" for every options class that declares a Section.
    private static IEnumerable<string> OptionsKeys(Assembly assembly) =>
        from type in assembly.GetTypes()
        let section = type.GetField("Section", BindingFlags.Public | BindingFlags.Static)
        where section is { IsLiteral: true } && section.FieldType == typeof(string)
        from property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        where property.CanWrite
        select $"{section.GetValue(null)}:{property.Name}";
}
