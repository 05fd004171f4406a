namespace TransferHub.Shared.Projects;

/// <summary>A project as the API returns it.</summary>
public sealed record ProjectDto(
    Guid Id, string Name, string? Description, DateTimeOffset CreatedAt, string CreatedBy, int MemberCount, ProjectRole? MyRole);

/// <summary>Body of <c>POST /api/projects</c>.</summary>
public sealed record CreateProjectRequest(string Name, string? Description);

/// <summary>Body of <c>PUT /api/projects/{projectId}</c>.</summary>
public sealed record UpdateProjectRequest(string Name, string? Description);

/// <summary>A member of a project.</summary>
public sealed record ProjectMemberDto(string UserId, string Email, string? DisplayName, ProjectRole Role, DateTimeOffset AddedAt);

/// <summary>Body of <c>POST /api/projects/{projectId}/members</c>: adds a member or changes their role.
/// Give either the user's id or their e-mail.</summary>
public sealed record AddMemberRequest(string? UserId, string? Email, ProjectRole Role);

/// <summary>What <c>POST /api/sample-project</c> made: a project with a partly labeled generated dataset, its snapshot,
/// two imported source models and a queued experiment (one source helps, the other hurts).</summary>
public sealed record SampleProjectDto(Guid ProjectId, Guid DatasetId, Guid VersionId, Guid ExperimentId, IReadOnlyList<Guid> SourceWeights);
