namespace TransferHub.Web.Infrastructure;

/// <summary>The app's data folder (<c>Data:Root</c>): the SQLite file, local artifacts and keys live under it.</summary>
public static class DataPaths
{
    public static string Resolve(IConfiguration configuration, IHostEnvironment environment)
    {
        var root = configuration["Data:Root"] ?? "data";
        var full = Path.GetFullPath(Path.IsPathRooted(root) ? root : Path.Combine(environment.ContentRootPath, root));
        Directory.CreateDirectory(full);
        return full;
    }
}
