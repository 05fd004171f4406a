using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Weights.Hub;

/// <summary>Configuration section <c>Hub</c>: where pretrained models are downloaded from (the Hugging Face Hub or a mirror).</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>The Hub's base address; a company mirror that speaks the same protocol works the same.</summary>
    [Required, Url]
    public string Endpoint { get; set; } = "https://huggingface.co";

    /// <summary>An access token for gated or private repositories (a secret: environment or secret store, never the repo).</summary>
    public string? Token { get; set; }

    /// <summary>Where downloaded files are kept by SHA-256, shared by every import on this node; default <c>{Data:Root}/hub-cache</c>.</summary>
    public string? CacheFolder { get; set; }

    /// <summary>
    /// A folder laid out like the Hub's own cache (<c>huggingface_hub</c>'s <c>HF_HUB_CACHE</c>, e.g. <c>~/.cache/huggingface/hub</c>,
    /// copied to an air-gapped node): repositories found there are imported from it, checked against their blob names, without a download.
    /// </summary>
    public string? OfflineFolder { get; set; }

    /// <summary>Never contact the Hub (as <c>HF_HUB_OFFLINE=1</c>): only repositories in <see cref="OfflineFolder"/> can be imported.</summary>
    public bool Offline { get; set; }

    /// <summary>How long one request may take without progress before the download is given up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The largest file accepted from the Hub (as for uploads).</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 2L << 30;
}
