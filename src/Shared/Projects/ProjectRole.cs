namespace TransferHub.Shared.Projects;

/// <summary>What a member may do inside one project.</summary>
public enum ProjectRole
{
    /// <summary>Reads everything in the project.</summary>
    Viewer,
    /// <summary>Labels items.</summary>
    Labeler,
    /// <summary>Labels and resolves disagreements.</summary>
    Reviewer,
    /// <summary>Creates datasets, snapshots and experiments.</summary>
    Scientist,
    /// <summary>Approves the project's models for production.</summary>
    Approver,
    /// <summary>Everything, including membership.</summary>
    Owner,
}
