using System.Text;
using Ganss.Xss;
using Markdig;

namespace TransferHub.Web.Infrastructure;

public static class Markdown
{
    // Raw HTML is shown as text, never rendered; no generic-attributes extension ({onmouseover=…} would pass through).
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml()
        .UsePipeTables().UseEmphasisExtras().UseTaskLists().UseAutoLinks().UseListExtras().Build();

    // And the HTML that comes out is sanitized with an allow-list: a javascript: or data: link, an event attribute or
    // anything Markdig lets through by mistake is dropped (a guideline once created an Admin account when an Admin opened it).
    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    public static string ToSafeHtml(string markdown) => Sanitizer.Sanitize(Markdig.Markdown.ToHtml(markdown, Pipeline));

    /// <summary>User text placed mid-line into generated Markdown as plain text: its inline Markdown punctuation escaped.</summary>
    public static string Text(string? text)
    {
        var escaped = new StringBuilder();
        foreach (var c in (text ?? "").ReplaceLineEndings(" "))
        {
            // Inline punctuation only: the values go mid-line (after "- Dataset **", in table cells), where # - + . ! do nothing.
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '<' or '>' or '~' or '&')
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>User text as an inline code span that no backtick inside it can close.</summary>
    public static string Code(string? text)
    {
        var value = (text ?? "").ReplaceLineEndings(" ");
        var longest = 0;
        for (int i = 0, run = 0; i < value.Length; i++)
        {
            run = value[i] == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        if (longest == 0) return $"`{value}`";
        var fence = new string('`', longest + 1);
        return $"{fence} {value} {fence}";
    }

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto" }) sanitizer.AllowedSchemes.Add(scheme);
        sanitizer.AllowedAttributes.Remove("style");
        sanitizer.AllowedTags.Remove("form");
        return sanitizer;
    }
}
