using TransferHub.Registry.Features.Registration;
using TransferHub.Registry.Features.Stages;
using TransferHub.Registry.Features.Drift;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Web.Components.Common;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Features.Registry;

namespace TransferHub.Web.Components.Pages.Registry;

public partial class ModelPage
{
    [Parameter] public Guid ModelId { get; set; }
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private RegistryService Registry { get; set; } = default!;
    [Inject] private ModelCards Cards { get; set; } = default!;
    [Inject] private StageService Stages { get; set; } = default!;
    [Inject] private DriftService Drift { get; set; } = default!;
    [Inject] private LabelingLoop Loop { get; set; } = default!;
    [Inject] private ProjectService Projects { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TransferHub.Shared.Training.ITrainingEngine Engine { get; set; } = default!;
    [Inject] private Features.Notifications.NotificationService Notifications { get; set; } = default!;

    private ClaimsPrincipal _user = new();
    private ModelDto? _model;
    private IReadOnlyList<ApprovalDto> _approvals = [];
    private IReadOnlyList<AuditEntryDto> _audit = [];
    private DriftOverviewDto? _drift;
    private string? _problem;
    private string? _comment;
    private string? _card;
    private LineageDto? _lineage;
    private int _lineageVersion;
    private bool _canEdit, _canApprove;
    private IDisposable? _decisions;

    private string Key => ModelId.ToString();
    private string Me => _user.Identity?.Name ?? "";

    protected override async Task OnParametersSetAsync()
    {
        _user = (await AuthState).User;
        try
        {
            await LoadAsync();
            // A global Approver may review a project they are not a member of: no role there, but approvals still.
            var role = _user.IsInRole(AppRoles.Admin) ? null
                : (await Projects.ListAsync(_user, Aborted)).FirstOrDefault(p => p.Id == _model!.ProjectId)?.MyRole;
            var admin = _user.IsInRole(AppRoles.Admin);
            _canEdit = admin || TransferHub.Shared.Projects.ProjectPermissions.CanEditData(role);
            _canApprove = admin || role is ProjectRole.Owner or ProjectRole.Approver || _user.IsInRole(AppRoles.Approver);
            // A request or decision about this model reaches its people as a notification (on every web node): the open page
            // follows it (the requester's page once said "No production version" after another person approved).
            _decisions ??= Notifications.Subscribe(_user.UserId(), n => n.Link == $"/models/{ModelId}" ? InvokeAsync(ReloadAsync) : Task.CompletedTask);
        }
        catch (AppException e)
        {
            _problem = e.Message;
        }
    }

    private async Task ReloadAsync()
    {
        try
        {
            await LoadAsync();
            StateHasChanged();
        }
        catch (Exception e) when (e is AppException or OperationCanceledException)
        {
            // The page closed, or the model is no longer readable: it stays as it was.
        }
    }

    protected override void OnDisposing() => _decisions?.Dispose();

    private async Task LoadAsync()
    {
        _model = await Registry.GetAsync(_user, Key, Aborted);
        _approvals = await Stages.ListApprovalsAsync(_user, Key, Aborted);
        _audit = await Registry.AuditAsync(_user, Key, Aborted);
        _drift = await Drift.OverviewAsync(_user, Key, Aborted);
    }

    private string Source(ModelVersionDto v)
    {
        if (v.SourceModelVersionId is { } id)
        {
            return _model!.Versions.FirstOrDefault(o => o.Id == id) is { } own ? $"v{own.Version}" : "another model's version";
        }
        return v.SourceWeightsSha256 is { } sha ? $"weights {sha[..10]}" : "none (baseline)";
    }

    private async Task MoveAsync(ModelVersionDto version, ModelStage stage)
    {
        var message = stage == ModelStage.Production ? "Production requested: an Approver decides." : $"v{version.Version} → {stage}";
        if (await Snackbar.TryAsync(() => Stages.TransitionAsync(_user, Key, version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new TransitionRequest(stage, _comment), CancellationToken.None), message))
        {
            _comment = null;
        }
        await LoadAsync();
    }

    private async Task DecideAsync((ApprovalDto Approval, bool Approve, string? Comment) decision)
    {
        await Snackbar.TryAsync(() => Stages.DecideAsync(_user, decision.Approval.Id, decision.Approve, new DecisionRequest(decision.Comment), CancellationToken.None),
            decision.Approve ? $"v{decision.Approval.Version} is in production." : "Rejected.");
        await LoadAsync();
    }

    private async Task ShowLineageAsync(ModelVersionDto version)
    {
        _lineageVersion = version.Version;
        await Snackbar.TryAsync(async () => _lineage = await Registry.LineageAsync(_user, Key,
            version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None));
    }

    private async Task SaveSettingsAsync(UpdateModelRequest request)
    {
        await Snackbar.TryAsync(() => Registry.UpdateAsync(_user, Key, request, CancellationToken.None), "Settings saved.");
        await LoadAsync();
    }

    private async Task ShowCardAsync(ModelVersionDto version) =>
        await Snackbar.TryAsync(async () => _card = await Cards.WriteAsync(_user, Key, version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Aborted));

    private async Task RollbackAsync()
    {
        await Snackbar.TryAsync(() => Stages.RollbackAsync(_user, Key, new DecisionRequest(_comment), CancellationToken.None), "Rolled back.");
        await LoadAsync();
    }

    private async Task CheckDriftAsync()
    {
        await Snackbar.TryAsync(() => Drift.RunAsync(_user, Key, CancellationToken.None));
        await LoadAsync();
    }

    private async Task SendToLabelingAsync()
    {
        SendToLabelingResult? result = null;
        await Snackbar.TryAsync(async () => result = await Loop.SendAsync(_user, Key, new SendToLabelingRequest(), CancellationToken.None));
        if (result is not null)
        {
            Snackbar.Add($"{result.Added} inputs sent to labeling ({result.AlreadyInDataset} already in the dataset, {result.WithoutRawInput} without a kept raw input).",
                result.Added > 0 ? Severity.Success : Severity.Info);
        }
        await LoadAsync();
    }
}
