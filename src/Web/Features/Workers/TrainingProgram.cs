using System.Diagnostics;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// How the server starts the training program (<c>TransferHub.Training</c>) as a child process: from the server's own folder,
/// with the server's dependency manifest and frameworks — its packages were resolved together with the server's, so nothing
/// else needs installing. Anything that trains runs this way: libtorch never trains inside the web process.
/// </summary>
public static class TrainingProgram
{
    /// <summary>A start for <c>TransferHub.Training {arguments}</c>, output redirected, no shell.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var folder = AppContext.BaseDirectory;
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "exec", "--runtimeconfig", Path.Combine(folder, "TransferHub.Web.runtimeconfig.json"),
                     "--depsfile", Path.Combine(folder, "TransferHub.Web.deps.json"), Path.Combine(folder, "TransferHub.Training.dll"),
                 })
            info.ArgumentList.Add(arg);
        foreach (var arg in arguments) info.ArgumentList.Add(arg);
        return info;
    }

    // The muxer that runs this server, else the one in DOTNET_ROOT, else dotnet on the PATH.
    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet")
        : "dotnet";
}
