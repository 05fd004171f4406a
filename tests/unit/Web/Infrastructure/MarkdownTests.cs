using TransferHub.Web.Infrastructure;

namespace TransferHub.Tests.Unit.Web.Infrastructure;

/// <summary>Issue 13's stored-XSS vectors: what user Markdown may and may not become.</summary>
public sealed class MarkdownTests
{
    [Theory]
    [InlineData("[click](javascript:alert(1))", "javascript")]
    [InlineData("[click](JaVaScRiPt:alert(1))", "alert")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)", "data:")]
    [InlineData("![x](javascript:alert(1))", "javascript")]
    [InlineData("# Title {onmouseover=alert(1)}", "<h1 onmouseover")]
    [InlineData("[x](https://example.com){onclick=alert(1)}", "onclick=\"")]
    [InlineData("<img src=x onerror=alert(1)>", "<img")]
    [InlineData("<script>alert(1)</script>", "<script")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>", "<a")]
    [InlineData("<svg onload=alert(1)>", "<svg")]
    public void NothingExecutableSurvives(string markdown, string forbidden)
    {
        var html = Markdown.ToSafeHtml(markdown);

        html.ShouldNotContain(forbidden, Case.Insensitive);
        System.Text.RegularExpressions.Regex.IsMatch(html, @"<[^>]*\son\w+\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
            .ShouldBeFalse($"an event attribute in {html}");
    }

    [Fact]
    public void WhatGuidelinesNeedStays()
    {
        var html = Markdown.ToSafeHtml("**Cats** only, see [the guide](https://example.com/guide).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done");

        html.ShouldContain("<strong>Cats</strong>");
        html.ShouldContain("href=\"https://example.com/guide\"");
        html.ShouldContain("<table>");
        html.ShouldContain("type=\"checkbox\"");
    }

    [Theory]
    [InlineData("evil](javascript:alert(1))")]
    [InlineData("**bold** _it_ <b>x</b> # not a heading | pipe")]
    [InlineData("a\\`b`c")]
    public void UserTextInGeneratedMarkdownStaysText(string name)
    {
        var html = Markdown.ToSafeHtml($"Dataset **{Markdown.Text(name)}** and arm {Markdown.Code(name)}");

        html.ShouldNotContain("<a ");
        html.ShouldNotContain("<b>");
        html.ShouldNotContain("<em>");
        html.ShouldContain(System.Net.WebUtility.HtmlEncode(name).Replace("&#39;", "'"));
    }
}
