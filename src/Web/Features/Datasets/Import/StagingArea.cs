namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>Uploaded files wait here (under the data folder) until their import has run; an import restarted after a crash finds them again.</summary>
public sealed class StagingArea(string root)
{
    public string FolderFor(Guid importId) => Directory.CreateDirectory(Path.Combine(root, importId.ToString("N"))).FullName;

    public IEnumerable<string> Files(Guid importId)
    {
        var folder = Path.Combine(root, importId.ToString("N"));
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal) : [];
    }

    public void Delete(Guid importId)
    {
        var folder = Path.Combine(root, importId.ToString("N"));
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
