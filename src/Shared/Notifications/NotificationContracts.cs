namespace TransferHub.Shared.Notifications;

/// <summary>An in-app notification.</summary>
public sealed record NotificationDto(Guid Id, string Title, string? Body, string? Link, DateTimeOffset CreatedAt, bool Read);
