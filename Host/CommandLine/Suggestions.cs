namespace VNet.Host.CommandLine;

/// <summary>
/// "Did you mean …?" for a mistyped verb, palette, command or switch: the known names closest to
/// the word by edit distance (Damerau–Levenshtein: a swap of two neighbouring letters counts as
/// one edit, so <c>inpsect</c> is one edit from <c>inspect</c>). Pure: the local verbs and the
/// node's palettes are checked by the same code.
/// </summary>
public static class Suggestions
{
    /// <summary>
    /// The names at the smallest edit distance from <paramref name="word"/>, when that distance is
    /// small for the word's length (one edit up to four letters, two up to eight, three beyond);
    /// also every name the word is the start of. Empty when nothing is close.
    /// </summary>
    public static IReadOnlyList<string> Closest(string word, IEnumerable<string> names)
    {
        var bare = word.TrimStart('-');
        var limit = bare.Length <= 4 ? 1 : bare.Length <= 8 ? 2 : 3;
        var scored = names.Distinct(StringComparer.Ordinal)
            .Select(n => (Name: n, Distance: n.StartsWith(word, StringComparison.Ordinal) && word.Length > 0 && !word.All(c => c == '-') ? 0 : Distance(word, n)))
            .Where(s => s.Distance <= limit && s.Name != word)
            .ToList();
        if (scored.Count == 0) return [];
        var best = scored.Min(s => s.Distance);
        return [.. scored.Where(s => s.Distance == best).Select(s => s.Name).Order(StringComparer.Ordinal)];
    }

    /// <summary>" (did you mean X?)", " (did you mean X or Y?)", or "" when nothing is close.</summary>
    public static string DidYouMean(string word, IEnumerable<string> names)
    {
        var closest = Closest(word, names);
        return closest.Count == 0 ? "" : $" (did you mean {string.Join(" or ", closest)}?)";
    }

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
