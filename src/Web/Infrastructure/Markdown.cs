using Markdig;

namespace TransferHub.Web.Infrastructure;

public static class Markdown
{
    // Raw HTML in guidelines is shown as text, never rendered: a guideline cannot inject script into annotators' pages.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().UseAdvancedExtensions().Build();

    public static string ToSafeHtml(string markdown) => Markdig.Markdown.ToHtml(markdown, Pipeline);
}
