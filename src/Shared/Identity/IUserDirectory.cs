namespace TransferHub.Shared.Identity;

/// <summary>The accounts as other modules ask for them (who requested an approval, who may decide); identity answers.</summary>
public interface IUserDirectory
{
    /// <summary>Each known user's e-mail (the id where an account has none); unknown ids are left out.</summary>
    Task<IReadOnlyDictionary<string, string>> EmailsAsync(IReadOnlyCollection<string> userIds, CancellationToken ct);

    /// <summary>The ids of the users who hold the global <paramref name="role"/> (<see cref="AppRoles"/>).</summary>
    Task<IReadOnlyList<string>> UserIdsInRoleAsync(string role, CancellationToken ct);
}
