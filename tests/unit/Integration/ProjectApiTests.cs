using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Notifications;
using TransferHub.Shared.Projects;

namespace TransferHub.Tests.Unit.Integration;

public sealed class ProjectApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task ScientistCreatesProjectAndBecomesOwner()
    {
        var (_, scientist) = await factory.CreateUserAsync($"{Unique("sci")}@example.test", AppRoles.Scientist);

        var response = await scientist.PostAsJsonAsync("/api/projects", new CreateProjectRequest(Unique("Cats"), "Cats vs dogs"));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var project = (await response.Content.ReadFromJsonAsync<ProjectDto>(Json.Options))!;
        project.MyRole.ShouldBe(ProjectRole.Owner);
        response.Headers.Location!.ToString().ShouldBe($"/api/projects/{project.Id}");
        var list = await scientist.GetFromJsonAsync<List<ProjectDto>>("/api/projects", Json.Options);
        list!.ShouldContain(p => p.Id == project.Id);
    }

    [Fact]
    public async Task LabelerCannotCreateProject()
    {
        var (_, labeler) = await factory.CreateUserAsync($"{Unique("lab")}@example.test", AppRoles.Labeler);

        var response = await labeler.PostAsJsonAsync("/api/projects", new CreateProjectRequest(Unique("Nope"), null));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("Only Admins and Scientists create projects.");
    }

    [Fact]
    public async Task NonMemberGets403AndMissingProjectGets404()
    {
        var project = await CreateProjectAsAdminAsync();
        var (_, outsider) = await factory.CreateUserAsync($"{Unique("out")}@example.test", AppRoles.Scientist);

        var forbidden = await outsider.GetAsync($"/api/projects/{project.Id}");
        var members = await outsider.GetAsync($"/api/projects/{project.Id}/members");
        var missing = await outsider.GetAsync($"/api/projects/{Guid.NewGuid()}");

        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        forbidden.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        members.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await outsider.GetFromJsonAsync<List<ProjectDto>>("/api/projects", Json.Options))!.ShouldNotContain(p => p.Id == project.Id);
    }

    [Fact]
    public async Task OwnerAddsMemberWhoIsNotifiedAndCanRead()
    {
        var project = await CreateProjectAsAdminAsync();
        var email = $"{Unique("mem")}@example.test";
        var (userId, member) = await factory.CreateUserAsync(email, AppRoles.Labeler);

        var added = await factory.AdminClient().PostAsJsonAsync($"/api/projects/{project.Id}/members", new AddMemberRequest(null, email, ProjectRole.Labeler));

        added.StatusCode.ShouldBe(HttpStatusCode.OK);
        var read = await member.GetFromJsonAsync<ProjectDto>($"/api/projects/{project.Id}", Json.Options);
        read!.MyRole.ShouldBe(ProjectRole.Labeler);
        var notes = await member.GetFromJsonAsync<List<NotificationDto>>("/api/notifications?unread=true", Json.Options);
        notes!.ShouldContain(n => n.Title == $"You were added to {project.Name}" && n.Link == $"/projects/{project.Id}");
        // A labeler reads but does not manage.
        var rename = await member.PutAsJsonAsync($"/api/projects/{project.Id}", new UpdateProjectRequest("Renamed", null));
        rename.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var remove = await member.DeleteAsync($"/api/projects/{project.Id}/members/{userId}");
        remove.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task LastOwnerCannotBeRemovedOrDemoted()
    {
        var (ownerId, owner) = await factory.CreateUserAsync($"{Unique("own")}@example.test", AppRoles.Scientist);
        var created = await owner.PostAsJsonAsync("/api/projects", new CreateProjectRequest(Unique("Solo"), null));
        var project = (await created.Content.ReadFromJsonAsync<ProjectDto>(Json.Options))!;

        var remove = await owner.DeleteAsync($"/api/projects/{project.Id}/members/{ownerId}");
        var demote = await owner.PostAsJsonAsync($"/api/projects/{project.Id}/members", new AddMemberRequest(ownerId, null, ProjectRole.Viewer));

        remove.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        demote.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AddingUnknownAccountIsAValidationProblem()
    {
        var project = await CreateProjectAsAdminAsync();

        var response = await factory.AdminClient().PostAsJsonAsync($"/api/projects/{project.Id}/members",
            new AddMemberRequest(null, "nobody@example.test", ProjectRole.Labeler));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors.ShouldContainKey("email");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task BlankNameIsRejected(string name)
    {
        var response = await factory.AdminClient().PostAsJsonAsync("/api/projects", new CreateProjectRequest(name, null));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.ShouldContainKey("name");
    }

    [Fact]
    public async Task DuplicateNameIsAConflict()
    {
        var project = await CreateProjectAsAdminAsync();

        var response = await factory.AdminClient().PostAsJsonAsync("/api/projects", new CreateProjectRequest(project.Name, null));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task OwnerRenamesAndDeletesProject()
    {
        var project = await CreateProjectAsAdminAsync();
        var admin = factory.AdminClient();
        var newName = Unique("Renamed");

        var renamed = await admin.PutAsJsonAsync($"/api/projects/{project.Id}", new UpdateProjectRequest(newName, "new text"));
        var deleted = await admin.DeleteAsync($"/api/projects/{project.Id}");
        var after = await admin.GetAsync($"/api/projects/{project.Id}");

        (await renamed.Content.ReadFromJsonAsync<ProjectDto>(Json.Options))!.Name.ShouldBe(newName);
        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        after.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<ProjectDto> CreateProjectAsAdminAsync()
    {
        var response = await factory.AdminClient().PostAsJsonAsync("/api/projects", new CreateProjectRequest(Unique("Project"), null));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProjectDto>(Json.Options))!;
    }
}
