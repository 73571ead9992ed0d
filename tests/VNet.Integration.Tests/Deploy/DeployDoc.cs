using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace VNet.Integration.Tests.Deploy;

/// <summary>
/// One block of docs/deploy.md marked for the deploy test: <c>```sh deploy on=A,B [variant=V]
/// [background] [check=NAME]</c>. <see cref="On"/> names where it runs (<c>build</c>, a host or a
/// VM placeholder); <see cref="Line"/> is where the block starts, for failure messages.
/// </summary>
public sealed record DeployStep(ImmutableArray<string> On, string? Variant, bool Background, string? Check, string Script, int Line);

/// <summary>Reads the marked blocks of a deploy document, in order; other blocks are left alone.</summary>
public static partial class DeployDoc
{
    [GeneratedRegex(@"^\s*```sh\s+deploy\b(?<attrs>.*)$")]
    private static partial Regex Opening();

    [GeneratedRegex(@"^\s*```\s*$")]
    private static partial Regex Closing();

    /// <summary>The marked steps; a marked block without <c>on=</c> or without an end is an error with its line.</summary>
    public static ImmutableArray<DeployStep> Parse(string markdown)
    {
        var steps = ImmutableArray.CreateBuilder<DeployStep>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Opening().Match(lines[i]);
            if (!open.Success) continue;
            var start = i + 1;
            var attrs = open.Groups["attrs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? Attr(string name) => attrs.FirstOrDefault(a => a.StartsWith(name + "="))?[(name.Length + 1)..];
            var on = Attr("on") ?? throw new FormatException($"deploy.md:{start}: a deploy block without on=");
            var body = new List<string>();
            for (i++; i < lines.Length && !Closing().IsMatch(lines[i]); i++) body.Add(lines[i]);
            if (i == lines.Length) throw new FormatException($"deploy.md:{start}: a deploy block without its closing ```");
            steps.Add(new DeployStep([.. on.Split(',')], Attr("variant"), attrs.Contains("background"), Attr("check"), string.Join('\n', body) + "\n", start));
        }
        return steps.ToImmutable();
    }

    /// <summary>The text with every placeholder replaced (longest first, so VM_A_MAC is not read as VM_A).</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> placeholders)
    {
        foreach (var (key, value) in placeholders.OrderByDescending(p => p.Key.Length)) text = text.Replace(key, value, StringComparison.Ordinal);
        return text;
    }

    /// <summary>A fenced block of another language (e.g. <c>nft</c>) whose first line starts with <paramref name="firstLine"/>.</summary>
    public static string? Block(string markdown, string language, string firstLine)
    {
        var lines = markdown.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].Trim() != "```" + language || !lines[i + 1].StartsWith(firstLine)) continue;
            var body = lines.Skip(i + 1).TakeWhile(l => l.Trim() != "```");
            return string.Join('\n', body) + "\n";
        }
        return null;
    }
}
